package org.imgorigin.vips;

import java.lang.foreign.MemorySegment;

/**
 * A handle to a libvips image, owned by the {@link VipsScope} that made it: the scope
 * releases it, so a handle is never unreffed twice or forgotten on a failure path.
 */
public final class VipsImage {
    final MemorySegment pointer;
    private final int width;
    private final int height;
    private final int bands;
    private final boolean alpha;
    private final int interpretation;
    private final int format;

    VipsImage(MemorySegment pointer) {
        this.pointer = pointer;
        this.width = Native.callInt("vips_image_get_width", -1, pointer);
        this.height = Native.callInt("vips_image_get_height", -1, pointer);
        this.bands = Native.callInt("vips_image_get_bands", -1, pointer);
        this.alpha = Native.callInt("vips_image_hasalpha", -1, pointer) != 0;
        this.interpretation = Native.callInt("vips_image_get_interpretation", -1, pointer);
        this.format = Native.callInt("vips_image_get_format", -1, pointer);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int bands() {
        return bands;
    }

    public boolean hasAlpha() {
        return alpha;
    }

    /** libvips' interpretation code, as read. */
    int interpretation() {
        return interpretation;
    }

    /** The colour space as far as the pipeline cares: 8-bit sRGB and grey are ready to encode. */
    public Colour colour() {
        return switch (interpretation) {
            case VipsScope.INTERPRETATION_SRGB -> Colour.SRGB;
            case VipsScope.INTERPRETATION_B_W -> Colour.GREY;
            case VipsScope.INTERPRETATION_GREY16 -> Colour.GREY16;
            default -> Colour.OTHER;
        };
    }

    public enum Colour { SRGB, GREY, GREY16, OTHER }

    /**
     * 8-bit sRGB or grey without alpha: what a render starts from when nothing needs more
     * (what the mezzanine, a shared decode and held pixels may be, and what {@link
     * VipsScope#resize} resizes without premultiplying or converting colours).
     */
    public boolean plain() {
        return format == VipsScope.FORMAT_UCHAR && !alpha
                && (colour() == Colour.SRGB || colour() == Colour.GREY);
    }
}
