/**
 * Ingest of originals: {@link org.imgorigin.upload.Receiver} hashes, sniffs and bounds a body
 * while it streams in; {@link org.imgorigin.upload.Ingest} checks its header against the
 * limits and stores it once under its content hash.
 */
package org.imgorigin.upload;
