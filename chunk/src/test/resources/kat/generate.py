#!/usr/bin/env python3
"""Independent reference implementation of blocklift's convergent chunk encryption.

Writes the known-answer vectors in this directory (docs/chunk-format.md describes them): 01-04 in
chunk format 0 (no frame), 05-08 in chunk format 1 (framed, zstd level 3). It uses the Python
`cryptography` and `zstandard` packages, not blocklift's Java code, so the Java KnownAnswerTest
checks one implementation against another. zstd output is only stable for one zstd version: these
vectors were made with zstandard 0.25.0 (libzstd 1.5.7), the version zstd-jni 1.5.7-28 bundles.
Run: python3 generate.py
"""
import hashlib
import hmac
import json
import struct

import zstandard
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ZSTD_LEVEL = 3


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
    if spec["kind"] == "nibbles":  # the stream's bytes, each masked to its low four bits
        return bytes(b & 0x0F for b in stream(spec["seed"], spec["length"]))
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

VECTORS_1 = [
    ("05-v1-all-0x01-512KiB", "format 1: a full chunk of 0x01 bytes, stored zstd",
     {"hex": bytes(range(32)).hex()}, {"kind": "repeat", "byte": "01", "length": 524288}),
    ("06-v1-random-short-raw", "format 1: a random short last chunk: does not compress, stored raw",
     {"secret": "42" * 32, "rootId": "root-1", "label": None},
     {"kind": "stream", "seed": "blocklift-kat-2", "length": 100000}),
    ("07-v1-nibbles-short-zstd", "format 1: a short last chunk of random nibbles, stored zstd",
     {"secret": "42" * 32, "rootId": "root-7", "label": "hot"},
     {"kind": "nibbles", "seed": "blocklift-kat-7", "length": 300000}),
    ("08-v1-tiny-raw", "format 1: a 17-byte chunk: too small to compress, stored raw",
     {"hex": "ff" * 32}, {"kind": "utf8", "text": "hello, blocklift\n"}),
]


def frame_of(p: bytes) -> bytes:
    """F = 0x01 || zstd(P) if that saves at least ceil(|P| / 32) bytes, else 0x00 || P."""
    z = zstandard.ZstdCompressor(
        level=ZSTD_LEVEL, write_checksum=False, write_content_size=True, write_dict_id=False
    ).compress(p)
    if len(z) <= len(p) - -(-len(p) // 32):
        return b"\x01" + z
    return b"\x00" + p


for file, description, salt_spec, p_spec in VECTORS_1:
    p = plaintext(p_spec)
    salt = salt_of(salt_spec)
    key = hashlib.sha256(salt + p).digest()
    f = frame_of(p)
    nonce = hmac.new(key, f, hashlib.sha256).digest()[:12]
    c = nonce + AESGCM(key).encrypt(nonce, f, salt)
    vector = {
        "description": description,
        "chunkFormat": 1,
        "saltScope": salt_spec,
        "salt": salt.hex(),
        "plaintext": p_spec,
        "plaintextSha256": hashlib.sha256(p).hexdigest(),
        "key": key.hex(),
        "frameKind": f[0],
        "frameLength": len(f),
        "frameSha256": hashlib.sha256(f).hexdigest(),
        "nonce": nonce.hex(),
        "storedLength": len(c),
        "storedHead": c[:32].hex(),
        "tag": c[-16:].hex(),
        "name": hashlib.sha256(c).hexdigest(),
    }
    with open(file + ".json", "w") as out:
        json.dump(vector, out, indent=2)
        out.write("\n")
    print(file, f[0], len(f), vector["name"])

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
