/**
 * The libvips binding, through {@code java.lang.foreign}: the only package that touches
 * native memory. Small on purpose: it covers what imgorigin's render pipeline calls and
 * nothing more. Every image belongs to a {@link org.imgorigin.vips.VipsScope}, which
 * releases all of them when it closes, on success and failure alike; libvips errors come
 * out as {@link org.imgorigin.vips.VipsException} with a short public message.
 */
package org.imgorigin.vips;
