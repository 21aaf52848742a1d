package org.imgorigin.render;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.imgorigin.vips.Pixels;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;

/**
 * A large original shrunk once, so that later variants of it decode a few megapixels instead
 * of the whole photo: the original, upright, resized to fit an {@code edge}×{@code edge} box
 * (long edge exactly {@code edge}), 8-bit sRGB or grey, kept as a JPEG at quality
 * {@value #QUALITY} without chroma subsampling. Chosen by measurement (docs/benchmarks.md,
 * "Srcset pages and mezzanines"; {@code IMGORIGIN_MEZZANINE}, 3072 by default, is the edge):
 * against a render from the original, variants of 320-1920 px made from it differ by a luma
 * SSIM of at least 0.99 (PSNR ≥ 40 dB; 0.993 and 45 dB on the bench photos) before their own
 * encode, for 0.4-0.9 of the CPU;
 * quality 90, or a 2048 or 2560 edge, fell under SSIM 0.99 on some photo, and lossless WebP or
 * PNG cost more to decode than the original did.
 *
 * <p>Where it may stand in: a render's {@link Plan} is in the coordinates of the image loaded
 * at {@code loadWidth}×{@code loadHeight} (crops, {@code x_}/{@code y_} offsets already
 * scaled, {@code g_auto}'s search, pads), and libvips loads the mezzanine at exactly that size,
 * as it would the original. So any plan whose load size fits inside the mezzanine gets the
 * same geometry and the same output dimensions from it; only the resampling differs. It is
 * not used for {@code e_trim} on the first stage (the box is found on the original's
 * pixels), for animations or pages ({@code pg_}, multi-page originals), for originals with
 * alpha or that are not 8-bit sRGB or grey once loaded (CMYK, 16-bit: none is made), and for
 * {@code a_ignore} of an original whose EXIF orientation is not upright (it is stored upright).
 *
 * <p>On disk it carries a trailer after the JPEG: a magic, its width and height and a CRC32C
 * of both and the JPEG. {@link #fromFile} trusts a file only when every byte is there and
 * its size is the one the original and the edge give now, so a truncated, corrupted or stale
 * (another edge) mezzanine is never used: the caller makes it again from the original.
 *
 * <p>The one a render has just made also has its decoded {@link #pixels}, in native memory:
 * kept there for a while ({@code IMGORIGIN_MEZZANINE_MEMORY_BYTES}), the variants after it
 * resize from them without decoding the JPEG, and their pixels are those of the render that
 * made it (no JPEG between them and the original).
 */
public final class Mezzanine {
    /** JPEG quality of the mezzanine. */
    public static final int QUALITY = 95;
    private static final byte[] MAGIC = "IMGOMEZ1".getBytes(StandardCharsets.US_ASCII);
    /** magic, width, height, CRC32C. */
    private static final int TRAILER = MAGIC.length + 4 + 4 + 4;

    private final byte[] jpeg;
    private final int width;
    private final int height;
    /** Null when read from a file. */
    private final Pixels pixels;

    private Mezzanine(byte[] jpeg, int width, int height, Pixels pixels) {
        this.jpeg = jpeg;
        this.width = width;
        this.height = height;
        this.pixels = pixels;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The length of its JPEG. */
    public int jpegBytes() {
        return jpeg.length;
    }

    /** The JPEG's bytes (not a copy). */
    byte[] jpeg() {
        return jpeg;
    }

    /** The same mezzanine without its pixels: for a caller whose lease on them ends before it uses it. */
    Mezzanine withoutPixels() {
        return pixels == null ? this : new Mezzanine(jpeg, width, height, null);
    }

    /**
     * Its decoded pixels, for the one just made (empty for one read from a file); their memory
     * lasts while someone holds a lease on them ({@link Pixels}).
     */
    public Optional<Pixels> pixels() {
        return Optional.ofNullable(pixels);
    }

    /**
     * The mezzanine's size for a {@code width}×{@code height} original (as displayed): long
     * edge {@code edge}, the other side in proportion; empty when the original fits in the box
     * already (a mezzanine would save nothing) or {@code edge} is 0 (off).
     */
    public static Optional<int[]> size(int width, int height, int edge) {
        if (edge <= 0 || (width <= edge && height <= edge)) {
            return Optional.empty();
        }
        return Optional.of(width >= height
                ? new int[] {edge, (int) Math.max(1, Math.round((double) height * edge / width))}
                : new int[] {(int) Math.max(1, Math.round((double) width * edge / height)), edge});
    }

    /** Whether an original may have one: a still of one page, without alpha, larger than the box. */
    public static boolean worthMaking(SourceInfo info, int edge) {
        return info.pages() == 1 && !info.hasAlpha() && size(info.width(), info.height(), edge).isPresent();
    }

    /** What is written to disk: the JPEG, then the trailer. */
    public byte[] toFile() {
        ByteBuffer file = ByteBuffer.allocate(jpeg.length + TRAILER);
        file.put(jpeg).put(MAGIC).putInt(width).putInt(height).putInt(crc(jpeg, jpeg.length, width, height));
        return file.array();
    }

    /**
     * The mezzanine in {@code file}, if it is whole and of the size the {@code info} original
     * and {@code edge} give; empty otherwise (truncated, corrupted, another edge, another
     * image's), and then it must not be used.
     */
    public static Optional<Mezzanine> fromFile(byte[] file, SourceInfo info, int edge) {
        Optional<int[]> expected = worthMaking(info, edge) ? size(info.width(), info.height(), edge) : Optional.empty();
        if (expected.isEmpty() || file.length <= TRAILER) {
            return Optional.empty();
        }
        int length = file.length - TRAILER;
        ByteBuffer trailer = ByteBuffer.wrap(file, length, TRAILER);
        byte[] magic = new byte[MAGIC.length];
        trailer.get(magic);
        int w = trailer.getInt();
        int h = trailer.getInt();
        int crc = trailer.getInt();
        if (!Arrays.equals(magic, MAGIC) || w != expected.get()[0] || h != expected.get()[1]
                || crc != crc(file, length, w, h)) {
            return Optional.empty();
        }
        return Optional.of(new Mezzanine(Arrays.copyOf(file, length), w, h, null));
    }

    private static int crc(byte[] bytes, int length, int width, int height) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        crc.update(ByteBuffer.allocate(8).putInt(width).putInt(height).flip());
        return (int) crc.getValue();
    }

    /**
     * Makes the mezzanine of an original that is {@link #worthMaking worth it}: one decode
     * (shrinking on load), upright, into {@link #pixels} (its {@code edge}² pixels at most), then
     * encoded; the render that makes it resizes its own variant from the same pixels. Empty when
     * the loaded image is not 8-bit sRGB or grey without alpha (it would not be the pixels a
     * render from the original starts from).
     */
    static Optional<Mezzanine> make(VipsScope scope, MemorySegment original, SourceInfo info, int edge) {
        if (!worthMaking(info, edge)) {
            return Optional.empty();
        }
        int[] size = size(info.width(), info.height(), edge).orElseThrow();
        VipsImage image = scope.thumbnail(original, size[0], size[1], VipsScope.Size.FORCE, false);
        if (!image.plain()) {
            return Optional.empty();
        }
        Pixels pixels = scope.keep(image);
        // Leased to this scope since keep: the view cannot find them freed.
        VipsImage decoded = scope.view(pixels).orElseThrow();
        return Optional.of(new Mezzanine(scope.saveJpegFull(decoded, QUALITY), decoded.width(), decoded.height(),
                pixels));
    }

    /**
     * Whether a render planned as {@code plan} on page {@code page} ({@code frames} frames) of
     * an original with that {@code orientation} could load from its mezzanine of {@code edge}
     * instead: one is {@link #worthMaking worth making}, the render is of a still, no
     * {@code a_ignore} of a rotated original, and its load size fits inside the mezzanine (a
     * variant larger than it, or a crop at the original's full resolution, needs the original).
     * The one place that decides: only such renders read, wait for or make a mezzanine.
     */
    static boolean couldServe(Plan plan, SourceInfo info, int orientation, int page, int frames, int edge) {
        if (!worthMaking(info, edge) || page != 0 || frames != 1 || (plan.noRotate() && orientation != 1)) {
            return false;
        }
        int[] size = size(info.width(), info.height(), edge).orElseThrow();
        return plan.loadWidth() <= size[0] && plan.loadHeight() <= size[1];
    }
}
