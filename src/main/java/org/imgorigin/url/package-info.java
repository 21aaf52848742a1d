/**
 * Image URLs (the README's URL grammar): the {@link org.imgorigin.url.Transformation} value, its parser and
 * printer, named presets, and the path that carries them.
 *
 * <p>{@link org.imgorigin.url.TransformationParser} and {@link org.imgorigin.url.TransformationPrinter}
 * are inverses: the printer writes one canonical string per value, so equivalent URLs are one
 * variant (one cache entry, one ETag), and parsing the canonical string gives the value back.
 * Everything a client can get wrong is a {@link org.imgorigin.url.UrlException} naming the part.
 */
package org.imgorigin.url;
