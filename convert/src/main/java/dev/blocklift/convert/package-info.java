/** The convert pipeline: flatten, chunk, encrypt, upload missing chunks, publish the manifest. */
package dev.blocklift.convert;
