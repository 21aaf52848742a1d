/**
 * Caches of rendered variants and of originals: {@link org.imgorigin.cache.VariantKey} names
 * a variant (its file, its path, its ETag), {@link org.imgorigin.cache.VariantCache} holds the
 * memory and disk tiers, {@link org.imgorigin.cache.DiskLru} is a bounded least-recently-used
 * directory written by temp-and-rename, and {@link org.imgorigin.cache.SingleFlight} makes
 * concurrent misses for one key share one piece of work.
 */
package org.imgorigin.cache;
