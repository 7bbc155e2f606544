/**
 * The AZ-level cache fleet: cache node server, Reed-Solomon coding, consistent hashing, fleet
 * client tier.
 */
package dev.blocklift.fleet;
