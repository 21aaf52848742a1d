/**
 * Where originals live: the {@link org.imgorigin.store.OriginalStore} contract and its two
 * implementations, a directory ({@code file:<dir>}, the default) and an S3 bucket
 * ({@code s3://<bucket>[/<prefix>]}), both keyed by
 * {@link org.imgorigin.image.ImageId#storageKey()} as the README's Storage layout lays out.
 *
 * <p>{@link org.imgorigin.store.OriginalStores} is the only way in: it picks the
 * implementation from {@code IMGORIGIN_ORIGINALS}, so the rest of the server never names one.
 * Every method blocks; callers run them on virtual threads. Failures surface as
 * {@link org.imgorigin.store.StoreException} whose kind (failed or timed out) the HTTP layer
 * maps to 502 or 504; a missing original is an empty result, not an error.
 */
package org.imgorigin.store;
