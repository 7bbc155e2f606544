/**
 * The NBD export: an image's lazy device, or a copy-on-write view of it, served over the NBD
 * protocol by the worker ({@link dev.blocklift.nbd.Nbd#api()}), so VMs and libnbd/qemu tools get a
 * lazily loaded block device. {@link dev.blocklift.nbd.NbdServer} is the protocol server over one
 * {@link dev.blocklift.nbd.NbdExport}.
 */
package dev.blocklift.nbd;
