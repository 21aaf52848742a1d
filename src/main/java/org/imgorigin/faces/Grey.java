package org.imgorigin.faces;

/** An 8-bit grey image, row by row, one byte a pixel: what a detector looks at. */
public record Grey(int width, int height, byte[] pixels) {
    public Grey {
        if (width < 1 || height < 1 || pixels.length != (long) width * height) {
            throw new IllegalArgumentException("a grey image of " + width + "x" + height + " needs "
                    + (long) width * height + " bytes, not " + pixels.length);
        }
    }
}
