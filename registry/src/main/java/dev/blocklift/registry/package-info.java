/** The docker:// transport: pulling images from OCI distribution registries. */
package dev.blocklift.registry;
