/**
 * Placeholders shown while an image loads: {@link org.imgorigin.placeholder.BlurHash} and
 * {@link org.imgorigin.placeholder.ThumbHash} encoders (written from the formats'
 * descriptions, tested against their npm reference packages) and
 * {@link org.imgorigin.placeholder.Placeholder}, which makes both and the dominant colour from
 * one small RGBA thumbnail and checks a kept one before it is trusted.
 */
package org.imgorigin.placeholder;
