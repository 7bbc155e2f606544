/** Worker-local cache tiers (memory, disk), eviction policies and the policy simulator. */
package dev.blocklift.cache;
