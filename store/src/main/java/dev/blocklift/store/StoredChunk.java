package dev.blocklift.store;

import dev.blocklift.core.ChunkName;
import java.time.Instant;

/** A listing entry: what garbage collection needs to decide (name, size, age). */
public record StoredChunk(ChunkName name, long size, Instant lastModified) {}
