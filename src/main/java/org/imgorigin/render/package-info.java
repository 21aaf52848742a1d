/**
 * The render pipeline: {@link org.imgorigin.render.Renderer} plans the geometry from the
 * header ({@code Geometry}), loads with shrink-on-load, then runs one small step per concern
 * (crop, pad, rotate, effects, flatten, colour) and encodes. libvips types stay inside this
 * package and {@code vips}; callers see bytes and records.
 */
package org.imgorigin.render;
