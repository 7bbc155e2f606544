/** Chunk store on S3 (AWS SDK v2), for AWS and S3-compatible servers. */
package dev.blocklift.s3;
