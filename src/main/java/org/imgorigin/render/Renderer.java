package org.imgorigin.render;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation;
import org.imgorigin.vips.Vips;
import org.imgorigin.vips.VipsException;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;

/**
 * Renders a variant of an original: sniff, check the header against the limits, plan the
 * geometry, then load (shrinking on load) and run the steps in order, within a time limit that
 * {@link EncodeBudget} extends to the encoders. Thread-safe; each call
 * owns its native memory through one {@link VipsScope} and releases it before returning,
 * failures included.
 */
public final class Renderer {
    /** The steps after loading, in order, as imgproxy lists its pipeline. */
    private static final List<Step> STEPS = List.of(
            new CropStep(),
            new PadStep(),
            new RotateStep(),
            new EffectsStep(),
            new FlattenStep(),
            new ColourStep());

    /**
     * Stops renders that outlive {@link RenderLimits#timeout()}: one daemon thread for all
     * renders, which only flips libvips' kill flag (the render's own thread unwinds), and
     * trims the C heap after renders.
     */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("imgorigin-render-watchdog").factory());

    /** Renders finished since the C heap was last trimmed (see {@link Vips#releaseFreeMemory()}). */
    private static final AtomicInteger UNTRIMMED = new AtomicInteger();

    static {
        // Once a second at most, and only after renders: one trim walks every malloc arena.
        WATCHDOG.scheduleWithFixedDelay(() -> {
            if (UNTRIMMED.getAndSet(0) > 0) {
                Vips.releaseFreeMemory();
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    private final RenderLimits limits;
    private final EncodeBudget budget;
    /** Whether libvips was built with libjxl (see {@link Vips#writesJpegXl()}). */
    private final boolean writesJpegXl;

    public Renderer(RenderLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.budget = new EncodeBudget(limits);
        Vips.init();
        this.writesJpegXl = Vips.writesJpegXl();
    }

    /** Reads an original's header only: format, displayed dimensions, frames, alpha. */
    public SourceInfo inspect(byte[] source) throws RenderException {
        ImageFormat format = sniff(source);
        try (VipsScope scope = Vips.scope()) {
            VipsScope.Header header = scope.header(scope.buffer(source));
            return info(format, header, source.length);
        } catch (VipsException e) {
            throw new RenderException(422, e.getMessage(), e.detail());
        }
    }

    /** Renders {@code transformation} (with its {@code auto} forms resolved) as {@code output}. */
    public RenderedImage render(byte[] source, Transformation transformation, ImageFormat output)
            throws RenderException {
        if (transformation.needsNegotiation()) {
            throw new IllegalArgumentException("auto forms must be resolved before rendering");
        }
        if (!output.writable()) {
            throw new IllegalArgumentException("not an output format: " + output);
        }
        ImageFormat format = sniff(source);
        long start = System.nanoTime();
        try (VipsScope scope = Vips.scope()) {
            ScheduledFuture<?> alarm =
                    WATCHDOG.schedule(scope::kill, limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
            try {
                return render(scope, source, format, transformation, output, start);
            } catch (VipsException e) {
                if (scope.killed()) {
                    throw new RenderException(503, "rendering took longer than the limit of "
                            + limits.timeout().toSeconds() + " s", e.detail());
                }
                throw new RenderException(422, e.getMessage(), e.detail());
            } finally {
                alarm.cancel(false);
                UNTRIMMED.incrementAndGet();
            }
        }
    }

    private RenderedImage render(VipsScope scope, byte[] source, ImageFormat format, Transformation transformation,
            ImageFormat output, long start) throws RenderException {
        MemorySegment buffer = scope.buffer(source);
        VipsScope.Header header = scope.header(buffer);
        SourceInfo info = info(format, header, source.length);
        if (info.pixels() > limits.maxSourcePixels()) {
            throw new RenderException(422, "image has " + info.pixels() + " pixels, over the limit of "
                    + limits.maxSourcePixels(), "");
        }
        boolean noRotate = transformation.angle().filter(a -> a == Transformation.Angle.IGNORE).isPresent();
        int width = noRotate ? header.width() : info.width();
        int height = noRotate ? header.height() : info.height();
        Plan plan = Geometry.plan(width, height, transformation, limits.maxDimension(),
                limits.maxOutputPixels());
        long outputPixels = (long) plan.outputWidth() * plan.outputHeight();
        budget.checkPlan(output, outputPixels);
        if (output == ImageFormat.JXL && !writesJpegXl) {
            throw new RenderException(400, "this server cannot write JPEG XL: its libvips was built without"
                    + " libjxl; ask for another format", "");
        }

        VipsImage image = scope.thumbnail(buffer, plan.loadWidth(), plan.loadHeight(), VipsScope.Size.FORCE,
                plan.noRotate());
        RenderContext context = new RenderContext(scope, transformation, plan, output);
        for (Step step : STEPS) {
            image = step.apply(context, image);
        }
        if (budget.checkBeforeEncoding(output, outputPixels)) {
            image = scope.materialise(image);
            budget.checkTimeLeft(output, outputPixels, start);
        }
        byte[] bytes = Encoder.encode(scope, image, output, transformation.quality(),
                transformation.progressive(), budget.effort(output, outputPixels));
        if (bytes.length > source.length && satisfiedByOriginal(format, info, header, transformation, output,
                image.width(), image.height())) {
            Optional<byte[]> stripped = Strip.original(format, source);
            if (stripped.isPresent() && stripped.get().length < bytes.length) {
                return new RenderedImage(stripped.get(), output, image.width(), image.height(), true, bytes.length);
            }
        }
        return new RenderedImage(bytes, output, image.width(), image.height(), false, bytes.length);
    }

    /**
     * Never heavier than needed: the original answers, through {@link Strip#original} (which
     * keeps its pixels and nothing else, or declines), when it already is what was asked for:
     * same format, same dimensions, same pixels (no effect, rotation, flip or background), one
     * frame, and no orientation a viewer would have to apply (stripping takes the EXIF that
     * says it).
     */
    private static boolean satisfiedByOriginal(ImageFormat format, SourceInfo info, VipsScope.Header header,
            Transformation t, ImageFormat output, int width, int height) {
        return format == output && width == info.width() && height == info.height() && info.pages() == 1
                && header.orientation() == 1
                && t.blur().isEmpty() && t.sharpen().isEmpty() && !t.grayscale()
                && t.angle().isEmpty() && t.background().isEmpty();
    }

    private static ImageFormat sniff(byte[] source) throws RenderException {
        return ImageFormat.sniff(source).orElseThrow(() -> new RenderException(415, ImageFormat.isJpegXl(source)
                ? "the original is JPEG XL, which imgorigin writes but does not read"
                : "the original is not an image format imgorigin reads", ""));
    }

    /**
     * What the header says, once libvips' own choice of loader agrees with the sniffed format:
     * a polyglot (bytes that sniff as one format and load as another) is refused, so what is
     * rendered, stripped or served as it is is always what the sniffing said.
     */
    private static SourceInfo info(ImageFormat format, VipsScope.Header header, long bytes) throws RenderException {
        String expected = switch (format) {
            case JPEG -> "jpegload";
            case PNG -> "pngload";
            case WEBP -> "webpload";
            case GIF -> "gifload";
            case AVIF, HEIC -> "heifload";
            case TIFF -> "tiffload";
            case JXL -> throw new IllegalStateException("JPEG XL is never sniffed as an original");
        };
        if (!header.loader().isEmpty() && !header.loader().startsWith(expected)) {
            throw new RenderException(422, "the image's bytes are not the " + format.extension()
                    + " its signature says", "loaded by " + header.loader());
        }
        return header.transposed()
                ? new SourceInfo(format, header.height(), header.width(), header.pages(), header.hasAlpha(), bytes)
                : new SourceInfo(format, header.width(), header.height(), header.pages(), header.hasAlpha(), bytes);
    }
}
