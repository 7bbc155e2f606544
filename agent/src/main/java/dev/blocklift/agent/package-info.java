/** The worker agent: lazy block device over a manifest, copy-on-write overlay, FUSE, runc. */
package dev.blocklift.agent;
