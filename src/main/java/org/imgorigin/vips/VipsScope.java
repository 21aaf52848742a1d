package org.imgorigin.vips;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The owner of every image and native buffer made during one render. Operations return
 * new images; none is released before {@link #close()}, which releases all of them (newest
 * first) and then the source buffers they may still point into. One scope belongs to one
 * thread, except {@link #kill()}, which a watchdog may call from any thread.
 */
public final class VipsScope implements AutoCloseable {
    static final int INTERPRETATION_B_W = 1;
    static final int INTERPRETATION_SRGB = 22;
    static final int INTERPRETATION_GREY16 = 26;
    private static final int EXTEND_COPY = 1;
    private static final int EXTEND_BACKGROUND = 5;
    static final int FORMAT_UCHAR = 0;
    private static final int MATH2_POW = 0;
    private static final int BLEND_OVER = 2;
    private static final int DIRECTION_HORIZONTAL = 0;
    private static final int DIRECTION_VERTICAL = 1;
    private static final int HEIF_COMPRESSION_AV1 = 4;
    /** VipsForeignSubsample: VIPS_FOREIGN_SUBSAMPLE_OFF, every chroma sample kept. */
    private static final int SUBSAMPLE_OFF = 2;
    private static final int KEEP_NONE = 0;
    private static final MemorySegment END = MemorySegment.NULL;

    private final Arena arena = Arena.ofConfined();
    private final Deque<MemorySegment> owned = new ArrayDeque<>();
    private final List<MemorySegment> areas = new ArrayList<>();
    /** Leases on {@link Pixels} this scope made or views, given back after its images are released. */
    private final List<Pixels> leased = new ArrayList<>();
    private final Vips.Version version;
    /** Guards {@link #owned} and {@link #closed} against a {@link #kill()} from another thread. */
    private final Object lock = new Object();
    private boolean closed;
    private volatile boolean killed;

    VipsScope(Vips.Version version) {
        this.version = version;
    }

    /** How {@link #thumbnail} fits the image to the box. */
    public enum Size {
        /** Down or up, keeping the aspect ratio. */
        BOTH(0),
        /** Exactly the box, changing the aspect ratio if needed. */
        FORCE(3);

        final int code;

        Size(int code) {
            this.code = code;
        }
    }

    /** Copies encoded image bytes into native memory that lives as long as this scope. */
    public MemorySegment buffer(byte[] bytes) {
        MemorySegment segment = arena.allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return segment.asSlice(0, bytes.length);
    }

    /**
     * Reads an encoded image's header without decoding pixels: dimensions, frames and EXIF
     * orientation (1-8). libvips opens images lazily, so this costs a header parse only.
     */
    public Header header(MemorySegment buffer) {
        return header(buffer, 0);
    }

    /** The header of frame or page {@code page} (from 0) of a multi-page image. */
    public Header header(MemorySegment buffer, int page) {
        MemorySegment image = Native.callPointer("vips_image_new_from_buffer", 3,
                buffer, buffer.byteSize(), arena.allocateFrom(page == 0 ? "" : "page=" + page), END);
        if (image.equals(MemorySegment.NULL)) {
            throw failure("image could not be decoded");
        }
        own(image);
        int pages = Native.callInt("vips_image_get_n_pages", -1, image);
        MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
        MemorySegment orientationField = arena.allocateFrom("orientation");
        // Asked only when present: a missing field is an error in libvips' process-wide buffer,
        // and clearing it would also clear another thread's failure before it is read.
        int orientation = Native.callLong("vips_image_get_typeof", -1, image, orientationField) != 0
                && Native.callInt("vips_image_get_int", -1, image, orientationField, out) == 0
                ? out.get(ValueLayout.JAVA_INT, 0) : 1;
        MemorySegment loaderField = arena.allocateFrom("vips-loader");
        MemorySegment loaderOut = arena.allocate(ValueLayout.ADDRESS);
        String loader = Native.callLong("vips_image_get_typeof", -1, image, loaderField) != 0
                && Native.callInt("vips_image_get_string", -1, image, loaderField, loaderOut) == 0
                ? loaderOut.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0) : "";
        VipsImage wrapped = new VipsImage(image);
        return new Header(wrapped.width(), wrapped.height(), Math.max(1, pages),
                orientation >= 1 && orientation <= 8 ? orientation : 1, wrapped.hasAlpha(), loader,
                intArray(image, "delay"), intField(image, "loop", 0));
    }

    /** An int field of the image's metadata, or {@code fallback} when absent. */
    private int intField(MemorySegment image, String name, int fallback) {
        MemorySegment field = arena.allocateFrom(name);
        MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
        return Native.callLong("vips_image_get_typeof", -1, image, field) != 0
                && Native.callInt("vips_image_get_int", -1, image, field, out) == 0
                ? out.get(ValueLayout.JAVA_INT, 0) : fallback;
    }

    /** An int-array field of the image's metadata (a delay per frame), or an empty array when absent. */
    private int[] intArray(MemorySegment image, String name) {
        MemorySegment field = arena.allocateFrom(name);
        if (Native.callLong("vips_image_get_typeof", -1, image, field) == 0) {
            return new int[0];
        }
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS);
        MemorySegment n = arena.allocate(ValueLayout.JAVA_INT);
        if (Native.callInt("vips_image_get_array_int", -1, image, field, array, n) != 0) {
            return new int[0];
        }
        int count = n.get(ValueLayout.JAVA_INT, 0);
        // The array belongs to the image's metadata: copied out, never freed here.
        return count <= 0 ? new int[0]
                : array.get(ValueLayout.ADDRESS, 0).reinterpret(4L * count).toArray(ValueLayout.JAVA_INT);
    }

    /**
     * What the header says: stored dimensions (before orientation), frames, EXIF orientation,
     * alpha, the frames' delays in milliseconds and the loop count (0: for ever) of an
     * animation, and the libvips loader that read it ({@code jpegload_buffer},
     * {@code heifload_buffer}...: libvips chooses it from the bytes, independently of
     * {@code ImageFormat.sniff}). Which metadata an original carries is not asked: an
     * original served as it is goes through the renderer's {@code Strip}, which keeps pixel
     * data only.
     */
    public record Header(int width, int height, int pages, int orientation, boolean hasAlpha, String loader,
            int[] delays, int loop) {
        /** True when applying the orientation swaps width and height. */
        public boolean transposed() {
            return orientation >= 5;
        }
    }

    /**
     * Loads with shrink-on-load and resizes to {@code width}×{@code height}: JPEG and WebP
     * decode at a fraction of their size when that is enough, so a 300 px thumbnail of a
     * 24 MP photo never decodes 24 MP. Colour is imported through any embedded profile and
     * exported as sRGB; EXIF orientation is applied unless {@code noRotate}.
     */
    public VipsImage thumbnail(MemorySegment buffer, int width, int height, Size size, boolean noRotate) {
        return thumbnail(buffer, width, height, size, noRotate, 0);
    }

    /** {@link #thumbnail(MemorySegment, int, int, Size, boolean)} of frame or page {@code page} (from 0). */
    public VipsImage thumbnail(MemorySegment buffer, int width, int height, Size size, boolean noRotate, int page) {
        // Only multi-page loaders know "page": JPEG's would refuse the option.
        return thumbnail(buffer, width, height, size, noRotate, page == 0 ? "" : ",page=" + page);
    }

    /**
     * Every frame of an animation, each resized to {@code width}×{@code height}, as one image of
     * the frames stacked top to bottom ({@code height} × frames high).
     */
    public VipsImage thumbnailFrames(MemorySegment buffer, int width, int height, boolean noRotate) {
        return thumbnail(buffer, width, height, Size.FORCE, noRotate, ",n=-1");
    }

    /** {@code pages}: loader options after {@code fail_on}, each with its leading comma. */
    private VipsImage thumbnail(MemorySegment buffer, int width, int height, Size size, boolean noRotate,
            String pages) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_thumbnail_buffer", 4, buffer, buffer.byteSize(), out, width,
                arena.allocateFrom("height"), height,
                arena.allocateFrom("size"), size.code,
                arena.allocateFrom("no_rotate"), noRotate,
                // A truncated or corrupt original is an error, not a grey-bottomed variant
                // cached for a year.
                arena.allocateFrom("option_string"), arena.allocateFrom("fail_on=truncated" + pages),
                END);
        return take(rc, out, "image could not be decoded");
    }

    public VipsImage extractArea(VipsImage in, int left, int top, int width, int height) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_extract_area", 6, in.pointer, out, left, top, width, height, END);
        return take(rc, out, "image could not be cropped");
    }

    /**
     * Crops to the most salient {@code width}×{@code height} region (libvips attention).
     * Attention reads the whole image before the crop reads it again, which a sequentially
     * loaded image cannot do; so the (already shrunk) input is rendered to memory first.
     */
    public VipsImage smartCrop(VipsImage in, int width, int height) {
        VipsImage copy = inMemory(in, "image could not be cropped");
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_smartcrop", 4, copy.pointer, out, width, height,
                arena.allocateFrom("interesting"), 3, END);
        return take(rc, out, "image could not be cropped");
    }

    /**
     * Computes the image into memory, tile by tile, so {@link #kill()} stops it like any
     * pipeline. Encoders that take the whole frame and then work on it without asking for
     * tiles (AVIF, GIF, WebP, JPEG XL) can then be given a frame that is already made, and the time
     * left checked before their uninterruptible part starts.
     */
    public VipsImage materialise(VipsImage in) {
        return inMemory(in, "image could not be rendered");
    }

    private VipsImage inMemory(VipsImage in, String publicMessage) {
        MemorySegment copy = Native.callPointer("vips_image_copy_memory", -1, in.pointer);
        if (copy.equals(MemorySegment.NULL)) {
            throw failure(publicMessage);
        }
        own(copy);
        return new VipsImage(copy);
    }

    /**
     * Computes an 8-bit image (sRGB or grey, no alpha) into native memory that outlives this scope
     * (tile by tile, so {@link #kill()} stops it): {@link Pixels}, leased to this scope until it
     * closes; {@link Pixels#lease} keeps it for longer.
     */
    public Pixels keep(VipsImage in) {
        if (!in.plain()) {
            throw new IllegalArgumentException("only a plain image (8-bit sRGB or grey, no alpha) is kept");
        }
        MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
        MemorySegment data = Native.callPointer("vips_image_write_to_memory", -1, in.pointer, size);
        if (data.equals(MemorySegment.NULL)) {
            throw failure("image could not be rendered");
        }
        Pixels pixels = new Pixels(data, size.get(ValueLayout.JAVA_LONG, 0), in.width(), in.height(), in.bands(),
                in.interpretation());
        synchronized (lock) {
            leased.add(pixels);
        }
        return pixels;
    }

    /**
     * An image reading {@code pixels} where they are (no copy), leased until this scope closes;
     * empty when their memory is already freed.
     */
    public Optional<VipsImage> view(Pixels pixels) {
        if (!pixels.lease()) {
            return Optional.empty();
        }
        synchronized (lock) {
            leased.add(pixels);
        }
        MemorySegment memory = Native.callPointer("vips_image_new_from_memory", -1,
                pixels.data(), pixels.bytes(), pixels.width(), pixels.height(),
                pixels.bands(), FORMAT_UCHAR);
        if (memory.equals(MemorySegment.NULL)) {
            throw failure("image could not be read");
        }
        own(memory);
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_copy", 2, memory, out,
                arena.allocateFrom("interpretation"), pixels.interpretation(), END);
        return Optional.of(take(rc, out, "image could not be read"));
    }

    /** Places the image at (x, y) on a {@code width}×{@code height} canvas of {@code background}. */
    public VipsImage embed(VipsImage in, int x, int y, int width, int height, double[] background) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_embed", 6, in.pointer, out, x, y, width, height,
                arena.allocateFrom("extend"), EXTEND_BACKGROUND,
                arena.allocateFrom("background"), doubles(background),
                END);
        return take(rc, out, "image could not be padded");
    }

    /** Removes alpha by blending onto an RGB background. */
    public VipsImage flatten(VipsImage in, double[] background) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_flatten", 2, in.pointer, out,
                arena.allocateFrom("background"), doubles(background), END);
        return take(rc, out, "image could not be flattened");
    }

    public VipsImage gaussBlur(VipsImage in, double sigma) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_gaussblur", 3, in.pointer, out, sigma, END);
        return take(rc, out, "image could not be blurred");
    }

    public VipsImage sharpen(VipsImage in, double sigma) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_sharpen", 2, in.pointer, out, arena.allocateFrom("sigma"), sigma, END);
        return take(rc, out, "image could not be sharpened");
    }

    public VipsImage toGrey(VipsImage in) {
        return colourspace(in, INTERPRETATION_B_W);
    }

    public VipsImage toSrgb(VipsImage in) {
        return colourspace(in, INTERPRETATION_SRGB);
    }

    private VipsImage colourspace(VipsImage in, int interpretation) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_colourspace", 3, in.pointer, out, interpretation, END);
        return take(rc, out, "image colour could not be converted");
    }

    /** Rotates clockwise by a multiple of 90 degrees. */
    public VipsImage rotate(VipsImage in, int degrees) {
        int angle = switch (degrees) {
            case 90 -> 1;
            case 180 -> 2;
            case 270 -> 3;
            default -> throw new IllegalArgumentException("rotation must be 90, 180 or 270: " + degrees);
        };
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_rot", 3, in.pointer, out, angle, END);
        return take(rc, out, "image could not be rotated");
    }

    public VipsImage flip(VipsImage in, boolean horizontal) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_flip", 3, in.pointer, out,
                horizontal ? DIRECTION_HORIZONTAL : DIRECTION_VERTICAL, END);
        return take(rc, out, "image could not be flipped");
    }

    /**
     * Resizes an image already in the pipeline to exactly {@code width}×{@code height}.
     *
     * <p>A {@link VipsImage#plain() plain} image is resized in one Lanczos-3 pass
     * ({@code vips_resize}, reducing gap 0) when that shrinks it at most 4 times (or enlarges
     * it); shrunk more, it is first box-averaged ({@code vips_shrink}) by the whole factor that
     * leaves at most 4 to the Lanczos pass. libvips 8.14's own path ({@code vips_thumbnail_image},
     * a box shrink inside {@code vips_resize}) took 156–400 ms to take a 3072 px image held in
     * memory to 200–768 px; this takes 0.07–0.21 of that, at a PSNR of 43.8 dB or more against it
     * (bench/resize_measure.c; docs/benchmarks.md, "Held pixels, and resizing an image in
     * memory"). The Lanczos pass stays at 4 or less because libvips' 8-bit kernels drift past
     * that (white came out 254 at 5.1, 251 at 30); a box by half the factor instead of the most
     * that leaves 4 was 33.6 dB from it at 100 px. {@code vips_shrink} drops a last partial block
     * of less than half a box: the image shifts by at most an eighth of an output pixel.
     * Anything else (alpha, which
     * {@code vips_thumbnail_image} premultiplies; other colour spaces and depths) keeps
     * {@code vips_thumbnail_image}, as does a result that rounded to another size.
     */
    public VipsImage resize(VipsImage in, int width, int height) {
        if (in.plain()) {
            double across = (double) in.width() / width;
            double down = (double) in.height() / height;
            int boxAcross = across > 4 ? (int) Math.ceil(across / 4) : 1;
            int boxDown = down > 4 ? (int) Math.ceil(down / 4) : 1;
            VipsImage boxed = in;
            if (boxAcross > 1 || boxDown > 1) {
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                int rc = Native.callInt("vips_shrink", 4, in.pointer, out, (double) boxAcross, (double) boxDown, END);
                boxed = take(rc, out, "image could not be resized");
            }
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            int rc = Native.callInt("vips_resize", 3, boxed.pointer, out, (double) width / boxed.width(),
                    arena.allocateFrom("vscale"), (double) height / boxed.height(),
                    arena.allocateFrom("gap"), 0.0,
                    END);
            VipsImage resized = take(rc, out, "image could not be resized");
            if (resized.width() == width && resized.height() == height) {
                return resized;
            }
            // Rounded to another size: the exact path below.
        }
        return thumbnailImage(in, width, height);
    }

    /** {@code vips_thumbnail_image} to exactly {@code width}×{@code height}: {@link #resize} for what is not plain. */
    VipsImage thumbnailImage(VipsImage in, int width, int height) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_thumbnail_image", 3, in.pointer, out, width,
                arena.allocateFrom("height"), height,
                arena.allocateFrom("size"), Size.FORCE.code,
                arena.allocateFrom("no_rotate"), true,
                END);
        return take(rc, out, "image could not be resized");
    }

    /**
     * {@code a × in + b} per band, the result clamped to 0-255 when {@code toUchar} (brightness,
     * contrast, negation, opacity are each one of these).
     */
    public VipsImage linear(VipsImage in, double[] a, double[] b, boolean toUchar) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("a and b differ in length");
        }
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_linear", 5, in.pointer, out,
                arena.allocateFrom(ValueLayout.JAVA_DOUBLE, a), arena.allocateFrom(ValueLayout.JAVA_DOUBLE, b), a.length,
                arena.allocateFrom("uchar"), toUchar, END);
        return take(rc, out, "image could not be adjusted");
    }

    /** Each output band a weighted sum of the input bands: {@code matrix[out][in]}, clamped to 0-255. */
    public VipsImage recomb(VipsImage in, double[][] matrix) {
        int rows = matrix.length;
        int columns = matrix[0].length;
        double[] flat = new double[rows * columns];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(matrix[r], 0, flat, r * columns, columns);
        }
        MemorySegment m = Native.callPointer("vips_image_new_matrix_from_array", -1, columns, rows,
                arena.allocateFrom(ValueLayout.JAVA_DOUBLE, flat), flat.length);
        if (m.equals(MemorySegment.NULL)) {
            throw failure("image could not be adjusted");
        }
        own(m);
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_recomb", 3, in.pointer, out, m, END);
        return cast(take(rc, out, "image could not be adjusted"), FORMAT_UCHAR);
    }

    private VipsImage cast(VipsImage in, int format) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_cast", 3, in.pointer, out, format, END);
        return take(rc, out, "image could not be converted");
    }

    /**
     * The box inside the image that differs from {@code background} by more than
     * {@code threshold} (0-255), as {left, top, width, height}; width 0 when nothing does.
     */
    public int[] findTrim(VipsImage in, double threshold, double[] background) {
        MemorySegment box = arena.allocate(ValueLayout.JAVA_INT, 4);
        int rc = Native.callInt("vips_find_trim", 5, in.pointer, box, box.asSlice(4), box.asSlice(8),
                box.asSlice(12), arena.allocateFrom("threshold"), threshold,
                arena.allocateFrom("background"), doubles(background), END);
        if (rc != 0) {
            throw failure("image could not be trimmed");
        }
        return box.toArray(ValueLayout.JAVA_INT);
    }

    /** The pixel at (x, y), one value per band. */
    public double[] pixel(VipsImage in, int x, int y) {
        MemorySegment vector = arena.allocate(ValueLayout.ADDRESS);
        MemorySegment n = arena.allocate(ValueLayout.JAVA_INT);
        int rc = Native.callInt("vips_getpoint", 5, in.pointer, vector, n, x, y, END);
        if (rc != 0) {
            throw failure("image could not be read");
        }
        MemorySegment values = vector.get(ValueLayout.ADDRESS, 0);
        try {
            return values.reinterpret(8L * n.get(ValueLayout.JAVA_INT, 0)).toArray(ValueLayout.JAVA_DOUBLE);
        } finally {
            Native.callVoid("g_free", values);
        }
    }

    /** Averages {@code size}×{@code size} squares and shows each as one colour. */
    public VipsImage pixelate(VipsImage in, int size) {
        MemorySegment small = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_shrink", 4, in.pointer, small, (double) size, (double) size, END);
        VipsImage shrunk = take(rc, small, "image could not be pixelated");
        MemorySegment big = arena.allocate(ValueLayout.ADDRESS);
        rc = Native.callInt("vips_zoom", 4, shrunk.pointer, big, size, size, END);
        VipsImage zoomed = take(rc, big, "image could not be pixelated");
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        rc = Native.callInt("vips_embed", 6, zoomed.pointer, out, 0, 0, in.width(), in.height(),
                arena.allocateFrom("extend"), EXTEND_COPY, END);
        return take(rc, out, "image could not be pixelated");
    }

    /**
     * A one-band mask of a {@code width}×{@code height} rectangle with corners rounded to
     * ellipses of radii {@code rx}, {@code ry} (a circle or ellipse when they are half the
     * sides): 255 inside, 0 outside, anti-aliased over a pixel. Computed lazily, tile by tile,
     * from each pixel's coordinates: no buffer of the image's size.
     */
    public VipsImage roundedMask(int width, int height, double rx, double ry) {
        MemorySegment xyOut = arena.allocate(ValueLayout.ADDRESS);
        VipsImage xy = take(Native.callInt("vips_xyz", 3, xyOut, width, height, END), xyOut, "mask could not be made");
        // Distance from the centre, then past the straight part of each side: the corner's.
        VipsImage centred = abs(linear(xy, new double[] {1, 1},
                new double[] {0.5 - width / 2.0, 0.5 - height / 2.0}, false));
        VipsImage past = linear(centred, new double[] {1, 1},
                new double[] {-(width / 2.0 - rx), -(height / 2.0 - ry)}, false);
        // max(0, v) = (v + |v|) / 2, then scaled to the corner's radii.
        VipsImage corner = linear(add(past, abs(past)), new double[] {0.5 / rx, 0.5 / ry}, new double[] {0, 0}, false);
        VipsImage squares = multiply(corner, corner);
        MemorySegment meanOut = arena.allocate(ValueLayout.ADDRESS);
        VipsImage mean = take(Native.callInt("vips_bandmean", 2, squares.pointer, meanOut, END), meanOut,
                "mask could not be made");
        MemorySegment rootOut = arena.allocate(ValueLayout.ADDRESS);
        VipsImage root = take(Native.callInt("vips_math2_const", 5, mean.pointer, rootOut, MATH2_POW,
                arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 0.5), 1, END), rootOut, "mask could not be made");
        // The normalised distance is sqrt(2 × mean); coverage over the last pixel of the radius,
        // rounded to the nearest level (the cast truncates).
        double m = Math.min(rx, ry);
        return linear(root, new double[] {-Math.sqrt(2) * m * 255}, new double[] {(m + 0.5) * 255 + 0.5}, true);
    }

    /** The image with {@code mask} (one band, 0-255) multiplied into its alpha, which it gains if it had none. */
    public VipsImage withMask(VipsImage in, VipsImage mask) {
        if (!in.hasAlpha()) {
            return bandjoin(in, mask);
        }
        VipsImage colour = extractBands(in, 0, in.bands() - 1);
        VipsImage alpha = extractBands(in, in.bands() - 1, 1);
        VipsImage combined = linear(multiply(alpha, mask), new double[] {1 / 255.0}, new double[] {0}, true);
        return bandjoin(colour, combined);
    }

    /** The image with an opaque alpha band added, if it has none. */
    public VipsImage withAlpha(VipsImage in) {
        if (in.hasAlpha()) {
            return in;
        }
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_bandjoin_const1", 3, in.pointer, out, 255.0, END);
        return take(rc, out, "image could not be given transparency");
    }

    /** A {@code width}×{@code height} sRGB image of one colour. */
    public VipsImage solid(int width, int height, double[] rgb) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        VipsImage black = take(Native.callInt("vips_black", 3, out, width, height,
                arena.allocateFrom("bands"), 3, END), out, "image could not be made");
        VipsImage coloured = linear(black, new double[] {1, 1, 1}, rgb, true);
        MemorySegment srgb = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_copy", 2, coloured.pointer, srgb,
                arena.allocateFrom("interpretation"), INTERPRETATION_SRGB, END);
        return take(rc, srgb, "image could not be made");
    }

    /**
     * Text as a one-band mask (0-255, its coverage), laid out by Pango: {@code markup} in Pango's
     * markup (escape what is not meant as markup), {@code font} a Pango font description
     * ({@code "DejaVu Sans Bold 40"}: 40 is pixels, at the 72 dpi used here), {@code spacing}
     * extra pixels between lines.
     */
    public VipsImage text(String markup, String font, int spacing) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_text", 2, out, arena.allocateFrom(markup),
                arena.allocateFrom("font"), arena.allocateFrom(font),
                arena.allocateFrom("dpi"), 72,
                arena.allocateFrom("spacing"), spacing,
                END);
        return take(rc, out, "text could not be drawn");
    }

    /** A mask in {@code rgb} with the mask as its alpha: sRGB with alpha. */
    public VipsImage colouredMask(VipsImage mask, double[] rgb) {
        return bandjoin(solid(mask.width(), mask.height(), rgb), mask);
    }

    /** {@code overlay} drawn over {@code base} at (x, y), by its alpha. */
    public VipsImage over(VipsImage base, VipsImage overlay, int x, int y) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_composite2", 4, base.pointer, overlay.pointer, out, BLEND_OVER,
                arena.allocateFrom("x"), x, arena.allocateFrom("y"), y, END);
        return cast(take(rc, out, "image could not be composed"), FORMAT_UCHAR);
    }

    private VipsImage abs(VipsImage in) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        return take(Native.callInt("vips_abs", 2, in.pointer, out, END), out, "image could not be computed");
    }

    private VipsImage add(VipsImage left, VipsImage right) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        return take(Native.callInt("vips_add", 3, left.pointer, right.pointer, out, END), out,
                "image could not be computed");
    }

    private VipsImage multiply(VipsImage left, VipsImage right) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        return take(Native.callInt("vips_multiply", 3, left.pointer, right.pointer, out, END), out,
                "image could not be computed");
    }

    private VipsImage extractBands(VipsImage in, int first, int count) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        return take(Native.callInt("vips_extract_band", 3, in.pointer, out, first,
                arena.allocateFrom("n"), count, END), out, "image could not be computed");
    }

    private VipsImage bandjoin(VipsImage left, VipsImage right) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        return take(Native.callInt("vips_bandjoin2", 3, left.pointer, right.pointer, out, END), out,
                "image could not be computed");
    }

    /** The frames stacked top to bottom, as an animation's frames are held. */
    public VipsImage stack(List<VipsImage> frames) {
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS, frames.size());
        for (int i = 0; i < frames.size(); i++) {
            array.setAtIndex(ValueLayout.ADDRESS, i, frames.get(i).pointer);
        }
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_arrayjoin", 3, array, out, frames.size(), arena.allocateFrom("across"), 1, END);
        return take(rc, out, "animation could not be assembled");
    }

    /**
     * A copy of a stack of frames that says it is an animation: each frame {@code frameHeight}
     * high, shown for {@code delays} milliseconds each, played {@code loop} times (0: for ever).
     */
    public VipsImage animation(VipsImage stack, int frameHeight, int[] delays, int loop) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        VipsImage copy = take(Native.callInt("vips_copy", 2, stack.pointer, out, END), out,
                "animation could not be assembled");
        Native.callVoid("vips_image_set_int", copy.pointer, arena.allocateFrom("page-height"), frameHeight);
        Native.callVoid("vips_image_set_int", copy.pointer, arena.allocateFrom("loop"), loop);
        if (delays.length > 0) {
            Native.callVoid("vips_image_set_array_int", copy.pointer, arena.allocateFrom("delay"),
                    arena.allocateFrom(ValueLayout.JAVA_INT, delays), delays.length);
        }
        return copy;
    }

    /** Where libvips' attention would centre a {@code width}×{@code height} crop: {x, y}. */
    public int[] attention(VipsImage in, int width, int height) {
        VipsImage copy = inMemory(in, "image could not be cropped");
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        MemorySegment x = arena.allocate(ValueLayout.JAVA_INT);
        MemorySegment y = arena.allocate(ValueLayout.JAVA_INT);
        int rc = Native.callInt("vips_smartcrop", 4, copy.pointer, out, width, height,
                arena.allocateFrom("interesting"), 3, arena.allocateFrom("attention_x"), x,
                arena.allocateFrom("attention_y"), y, END);
        take(rc, out, "image could not be cropped");
        return new int[] {x.get(ValueLayout.JAVA_INT, 0), y.get(ValueLayout.JAVA_INT, 0)};
    }

    /**
     * The image as 8-bit grey, one byte a pixel row by row (alpha dropped), computed tile by
     * tile so {@link #kill()} stops it; for a face detector, on an image already made small.
     */
    public byte[] greyPixels(VipsImage in) {
        VipsImage grey = cast(extractBands(in.bands() >= 3 ? toGrey(in) : in, 0, 1), FORMAT_UCHAR);
        MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
        MemorySegment data = Native.callPointer("vips_image_write_to_memory", -1, grey.pointer, size);
        if (data.equals(MemorySegment.NULL)) {
            throw failure("image could not be read");
        }
        try {
            return data.reinterpret(size.get(ValueLayout.JAVA_LONG, 0)).toArray(ValueLayout.JAVA_BYTE);
        } finally {
            Native.callVoid("g_free", data);
        }
    }

    /** A black image, for health checks. */
    public VipsImage black(int width, int height) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = Native.callInt("vips_black", 3, out, width, height, END);
        return take(rc, out, "image could not be made");
    }

    public byte[] saveJpeg(VipsImage in, int quality, boolean progressive) {
        return save("vips_jpegsave_buffer", in,
                "Q", quality, "optimize_coding", true, "interlace", progressive);
    }

    /**
     * A JPEG for keeping, not for serving: every chroma sample kept ({@code subsample_mode}
     * off, libvips' 4:4:4), baseline, standard Huffman tables (optimising them is a second
     * pass that halves the encode's speed for 1-2 % fewer bytes, and changes no pixel).
     */
    public byte[] saveJpegFull(VipsImage in, int quality) {
        return save("vips_jpegsave_buffer", in, "Q", quality, "subsample_mode", SUBSAMPLE_OFF);
    }

    public byte[] savePng(VipsImage in, boolean interlace) {
        return save("vips_pngsave_buffer", in, "compression", 6, "interlace", interlace);
    }

    public byte[] saveWebp(VipsImage in, int quality) {
        return save("vips_webpsave_buffer", in, "Q", quality, "effort", 4);
    }

    /** AVIF through libheif's AV1 encoder at a low effort: the default effort costs seconds per image. */
    public byte[] saveAvif(VipsImage in, int quality, int effort) {
        return save("vips_heifsave_buffer", in,
                "Q", quality, "compression", HEIF_COMPRESSION_AV1, "effort", effort);
    }

    /**
     * JPEG XL through libjxl. {@code quality} is libvips' Q, which it maps to libjxl's
     * butteraugli distance as cjxl does: {@code 0.1 + (100 - Q) * 0.09} from Q 30 up, so Q 90
     * is distance 1.0 ("visually lossless") and Q 75 is 2.35. {@code effort} is libjxl's (3-9
     * in libvips 8.14; its default of 7 costs several times effort 4 for a few per cent).
     */
    public byte[] saveJxl(VipsImage in, int quality, int effort) {
        return save("vips_jxlsave_buffer", in, "Q", quality, "effort", effort);
    }

    public byte[] saveGif(VipsImage in) {
        return save("vips_gifsave_buffer", in);
    }

    /**
     * A copy of the image without EXIF, XMP, IPTC and ICC metadata. The savers' own strip
     * option is not enough: libvips 8.14's WebP saver writes EXIF despite it.
     */
    private MemorySegment withoutMetadata(VipsImage in) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        if (Native.callInt("vips_copy", 2, in.pointer, out, END) != 0) {
            throw failure("image could not be encoded");
        }
        MemorySegment copy = out.get(ValueLayout.ADDRESS, 0);
        own(copy);
        MemorySegment fields = Native.callPointer("vips_image_get_fields", -1, copy);
        try {
            MemorySegment names = fields.reinterpret(Long.MAX_VALUE);
            for (long i = 0; ; i++) {
                MemorySegment name = names.getAtIndex(ValueLayout.ADDRESS, i);
                if (name.equals(MemorySegment.NULL)) {
                    break;
                }
                String field = name.reinterpret(Integer.MAX_VALUE).getString(0);
                if (field.startsWith("exif-") || field.equals("xmp-data") || field.equals("iptc-data")
                        || field.equals("icc-profile-data") || field.equals("orientation")) {
                    Native.callInt("vips_image_remove", -1, copy, name);
                }
            }
        } finally {
            Native.callVoid("g_strfreev", fields);
        }
        return copy;
    }

    /** Calls a {@code *save_buffer} with name/value options, stripping metadata, and copies the result out. */
    private byte[] save(String function, VipsImage in, Object... options) {
        MemorySegment buf = arena.allocate(ValueLayout.ADDRESS);
        MemorySegment len = arena.allocate(ValueLayout.JAVA_LONG);
        // A build may export the operation but not its C wrapper (sharp's libvips has no
        // vips_pngsave_buffer: it writes PNG with libspng): then the operation is called by
        // its name, and gives its bytes as a blob.
        boolean wrapped = Native.has(function);
        List<Object> args = new ArrayList<>();
        if (!wrapped) {
            args.add(arena.allocateFrom(function.substring("vips_".length())));
        }
        args.add(withoutMetadata(in));
        args.add(buf);
        if (wrapped) {
            args.add(len);
        }
        for (int i = 0; i < options.length; i += 2) {
            args.add(arena.allocateFrom((String) options[i]));
            args.add(options[i + 1]);
        }
        // Metadata goes (orientation was applied on load); "keep" replaced "strip" in 8.15.
        if (version.atLeast(8, 15)) {
            args.add(arena.allocateFrom("keep"));
            args.add(KEEP_NONE);
        } else {
            args.add(arena.allocateFrom("strip"));
            args.add(true);
        }
        args.add(END);
        int rc = wrapped ? Native.callInt(function, 3, args.toArray()) : Native.callInt("vips_call", 1, args.toArray());
        if (rc != 0) {
            throw failure("image could not be encoded");
        }
        MemorySegment out = buf.get(ValueLayout.ADDRESS, 0);
        if (out.equals(MemorySegment.NULL)) {
            throw failure("image could not be encoded"); // never seen: libvips' wrappers check it too
        }
        if (!wrapped) {
            try {
                MemorySegment data = Native.callPointer("vips_blob_get", -1, out, len);
                return data.reinterpret(len.get(ValueLayout.JAVA_LONG, 0)).toArray(ValueLayout.JAVA_BYTE);
            } finally {
                Native.callVoid("vips_area_unref", out);
            }
        }
        try {
            return out.reinterpret(len.get(ValueLayout.JAVA_LONG, 0)).toArray(ValueLayout.JAVA_BYTE);
        } finally {
            Native.callVoid("g_free", out);
        }
    }

    private MemorySegment doubles(double[] values) {
        MemorySegment array = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, values);
        MemorySegment vipsArray = Native.callPointer("vips_array_double_new", -1, array, values.length);
        // A VipsArrayDouble is a VipsArea: released with vips_area_unref after the images.
        areas.add(vipsArray);
        return vipsArray;
    }

    private VipsImage take(int rc, MemorySegment out, String publicMessage) {
        if (rc != 0) {
            throw failure(publicMessage);
        }
        MemorySegment image = out.get(ValueLayout.ADDRESS, 0);
        own(image);
        return new VipsImage(image);
    }

    /** Takes a reference to release on close; killed at once if the scope already is. */
    private void own(MemorySegment image) {
        synchronized (lock) {
            owned.push(image);
            if (killed) {
                Native.callVoid("vips_image_set_kill", image, 1);
            }
        }
    }

    private static VipsException failure(String publicMessage) {
        return new VipsException(publicMessage, Native.takeError());
    }

    /**
     * Stops this scope's work: every image it owns, and every one it makes from now on, is
     * marked killed, so libvips fails the evaluation at its next tile (a render is pulled
     * tile by tile through the pipeline by the saver, or by {@link #materialise}). Work inside
     * one call that does not ask for tiles, such as the AVIF, GIF, WebP or JPEG XL encoder's pass over
     * a whole frame, runs to its end: the renderer bounds those before they start. Safe from any thread,
     * at any time, also after {@link #close()}.
     */
    public void kill() {
        synchronized (lock) {
            if (closed || killed) {
                return;
            }
            killed = true;
            for (MemorySegment image : owned) {
                Native.callVoid("vips_image_set_kill", image, 1);
            }
        }
    }

    /** Whether {@link #kill()} was called: a failure after it is the kill, not the image. */
    public boolean killed() {
        return killed;
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                while (!owned.isEmpty()) {
                    Native.callVoid("g_object_unref", owned.pop());
                }
                for (MemorySegment area : areas) {
                    Native.callVoid("vips_area_unref", area);
                }
                // After the images that read them: no pipeline of this scope reads them any more.
                for (Pixels pixels : leased) {
                    pixels.release();
                }
            } finally {
                arena.close();
            }
        }
    }
}
