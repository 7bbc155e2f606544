/** Chunking, convergent encryption, salt roots, manifests and key services. */
package dev.blocklift.chunk;
