#!/usr/bin/env python3
"""Independent reference implementation of blocklift's convergent chunk encryption.

Writes the known-answer vectors in this directory (docs/chunk-format.md describes them). It uses
the Python `cryptography` package, not blocklift's Java code, so the Java KnownAnswerTest checks
one implementation against another. Run: python3 generate.py
"""
import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def stream(seed: str, length: int) -> bytes:
    """Deterministic pseudo-random bytes: SHA-256(seed || u64be(i)) for i = 0, 1, ..."""
    out = bytearray()
    i = 0
    while len(out) < length:
        out += hashlib.sha256(seed.encode() + struct.pack(">Q", i)).digest()
        i += 1
    return bytes(out[:length])


def plaintext(spec: dict) -> bytes:
    if spec["kind"] == "repeat":
        return bytes.fromhex(spec["byte"]) * spec["length"]
    if spec["kind"] == "stream":
        return stream(spec["seed"], spec["length"])
    if spec["kind"] == "utf8":
        return spec["text"].encode()
    raise ValueError(spec)


def salt_of(spec: dict) -> bytes:
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    scope = spec["rootId"].encode()
    if spec.get("label") is not None:
        scope += b"\x00" + spec["label"].encode()
    return hmac.new(bytes.fromhex(spec["secret"]), scope, hashlib.sha256).digest()


VECTORS = [
    ("01-all-0x01-512KiB", "a full 512 KiB chunk of 0x01 bytes",
     {"hex": bytes(range(32)).hex()}, {"kind": "repeat", "byte": "01", "length": 524288}),
    ("02-short-last-chunk", "a short last chunk (100000 bytes, not a multiple of 16)",
     {"secret": "42" * 32, "rootId": "root-1", "label": None},
     {"kind": "stream", "seed": "blocklift-kat-2", "length": 100000}),
    ("03-random-512KiB-labelled-salt", "a full random chunk; salt scope with a label",
     {"secret": "42" * 32, "rootId": "root-7", "label": "hot"},
     {"kind": "stream", "seed": "blocklift-kat-3", "length": 524288}),
    ("04-tiny", "a 17-byte chunk (a device smaller than one block)",
     {"hex": "ff" * 32}, {"kind": "utf8", "text": "hello, blocklift\n"}),
]

for file, description, salt_spec, p_spec in VECTORS:
    p = plaintext(p_spec)
    salt = salt_of(salt_spec)
    key = hashlib.sha256(salt + p).digest()
    c = AESGCM(key).encrypt(b"\x00" * 12, p, salt)
    vector = {
        "description": description,
        "saltScope": salt_spec,
        "salt": salt.hex(),
        "plaintext": p_spec,
        "plaintextSha256": hashlib.sha256(p).hexdigest(),
        "key": key.hex(),
        "ciphertextLength": len(c),
        "ciphertextHead": c[:32].hex(),
        "tag": c[-16:].hex(),
        "name": hashlib.sha256(c).hexdigest(),
    }
    with open(file + ".json", "w") as f:
        json.dump(vector, f, indent=2)
        f.write("\n")
    print(file, vector["name"])
