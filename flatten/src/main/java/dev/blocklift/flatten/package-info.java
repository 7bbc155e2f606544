/**
 * Deterministic, dedup-friendly ext4 writer: one flattened image tree to one sparse ext4 filesystem
 * image.
 */
package dev.blocklift.flatten;
