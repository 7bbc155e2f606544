package dev.blocklift.convert;

import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;

/**
 * A finished conversion: the published name, the SHA-256 of the manifest bytes, the image digest,
 * the salt root it was converted under, and the statistics.
 */
public record ConvertResult(
    ImageName name,
    Digest manifestDigest,
    Digest imageDigest,
    String saltRootId,
    ConvertStats stats) {}
