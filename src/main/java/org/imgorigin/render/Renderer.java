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
import org.imgorigin.url.Effect;
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
    /** The steps of each stage after it is loaded or resized, in order, as imgproxy lists its pipeline. */
    private static final List<Step> STAGE_STEPS = List.of(
            new CropStep(),
            new PadStep(),
            new RotateStep(),
            new EffectsStep(),
            new ShapeStep());

    /** The steps after the last stage, with the whole request's parameters. */
    private static final List<Step> FINISH = List.of(
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

    /** The size of the preview that {@code e_trim} looks for its box in, on a first stage. */
    private static final long TRIM_PREVIEW_PIXELS = 4_000_000;

    private final RenderLimits limits;
    private final EncodeBudget budget;

    public Renderer(RenderLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.budget = new EncodeBudget(limits);
        Vips.init();
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
        int page = transformation.page().orElse(1) - 1;
        if (page >= info.pages()) {
            throw new RenderException(400, "pg_" + (page + 1) + " asks for a frame or page the image does not have: it has "
                    + info.pages(), "");
        }
        VipsScope.Header pageHeader = page == 0 ? header : scope.header(buffer, page);
        double dpr = Geometry.dpr(transformation);
        List<Transformation> stages = transformation.stages();

        // The first stage loads, shrinking on load to what its plan needs, unless it trims first
        // (the trimmed box is known only once every pixel has been seen).
        Transformation first = stages.getFirst();
        boolean noRotate = first.angle().filter(a -> a == Transformation.Angle.IGNORE).isPresent();
        boolean swap = !noRotate && pageHeader.transposed();
        int width = swap ? pageHeader.height() : pageHeader.width();
        int height = swap ? pageHeader.width() : pageHeader.height();
        VipsImage image;
        Plan plan;
        if (first.effects().has(Effect.TRIM)) {
            // The box is found on a preview of at most TRIM_PREVIEW_PIXELS (shrunk on load), so
            // that trimming a large original never holds it whole in memory; the original is
            // then loaded at the plan's scale and cut to the box.
            double p = Math.min(1.0, Math.sqrt((double) TRIM_PREVIEW_PIXELS / ((long) width * height)));
            VipsImage preview = colour(scope, scope.thumbnail(buffer, Math.max(1, (int) Math.round(width * p)),
                    Math.max(1, (int) Math.round(height * p)), VipsScope.Size.FORCE, noRotate, page));
            int[] box = EffectsStep.trimBox(scope, preview, first.effects().get(Effect.TRIM).getAsInt());
            double toSource = (double) width / preview.width();
            int left = (int) Math.floor(box[0] * toSource);
            int top = (int) Math.floor(box[1] * (double) height / preview.height());
            int boxWidth = Math.min(width - left, (int) Math.ceil(box[2] * toSource));
            int boxHeight = Math.min(height - top, (int) Math.ceil(box[3] * (double) height / preview.height()));
            plan = Geometry.plan(boxWidth, boxHeight, first, dpr, limits.maxDimension(), limits.maxOutputPixels());
            double s = (double) plan.loadWidth() / boxWidth;
            double t = (double) plan.loadHeight() / boxHeight;
            int loadWidth = Math.max(1, (int) Math.round(width * s));
            int loadHeight = Math.max(1, (int) Math.round(height * t));
            image = colour(scope, scope.thumbnail(buffer, loadWidth, loadHeight, VipsScope.Size.FORCE, noRotate, page));
            int x = Math.min(loadWidth - 1, (int) Math.round(left * s));
            int y = Math.min(loadHeight - 1, (int) Math.round(top * t));
            image = scope.extractArea(image, x, y, Math.min(plan.loadWidth(), loadWidth - x),
                    Math.min(plan.loadHeight(), loadHeight - y));
            image = resizeTo(scope, image, plan);
        } else {
            plan = Geometry.plan(width, height, first, dpr, limits.maxDimension(), limits.maxOutputPixels());
            if (stages.size() == 1) {
                // The encode's own bound, known before a pixel is decoded when nothing follows.
                budget.checkPlan(output, (long) plan.outputWidth() * plan.outputHeight());
            }
            image = colour(scope, scope.thumbnail(buffer, plan.loadWidth(), plan.loadHeight(), VipsScope.Size.FORCE,
                    plan.noRotate(), page));
        }
        long sourcePixels = (long) width * height;
        image = stage(scope, image, first, plan, dpr, output);
        checkStage(image, sourcePixels);
        for (Transformation stage : stages.subList(1, stages.size())) {
            if (stage.effects().has(Effect.TRIM)) {
                // The stages before made this image, no larger than the output limits allow:
                // it is held whole while its box is found.
                image = scope.materialise(image);
                int[] box = EffectsStep.trimBox(scope, image, stage.effects().get(Effect.TRIM).getAsInt());
                image = scope.extractArea(image, box[0], box[1], box[2], box[3]);
            }
            plan = plan(image, stage, dpr);
            image = stage(scope, resizeTo(scope, image, plan), stage, plan, dpr, output);
            checkStage(image, sourcePixels);
        }
        RenderContext last = new RenderContext(scope, transformation, plan, dpr, output);
        for (Step step : FINISH) {
            image = step.apply(last, image);
        }

        long outputPixels = (long) image.width() * image.height();
        budget.checkPlan(output, outputPixels);
        if (budget.checkBeforeEncoding(output, outputPixels)) {
            image = scope.materialise(image);
            budget.checkTimeLeft(output, outputPixels, start);
        }
        byte[] bytes = Encoder.encode(scope, image, output, transformation.quality(),
                transformation.progressive(), budget.avifEffort(outputPixels));
        if (bytes.length > source.length && satisfiedByOriginal(format, info, header, transformation, output,
                image.width(), image.height())) {
            Optional<byte[]> stripped = Strip.original(format, source);
            if (stripped.isPresent() && stripped.get().length < bytes.length) {
                return new RenderedImage(stripped.get(), output, image.width(), image.height(), true, bytes.length);
            }
        }
        return new RenderedImage(bytes, output, image.width(), image.height(), false, bytes.length);
    }

    /** The plan of a stage on the image the stages before it made; bounded like the first. */
    private Plan plan(VipsImage image, Transformation stage, double dpr) throws RenderException {
        return Geometry.plan(image.width(), image.height(), stage, dpr, limits.maxDimension(),
                limits.maxOutputPixels());
    }

    /** The image at the plan's load size (already there for a first stage that loaded at it). */
    private static VipsImage resizeTo(VipsScope scope, VipsImage image, Plan plan) {
        return image.width() == plan.loadWidth() && image.height() == plan.loadHeight()
                ? image
                : scope.resize(image, plan.loadWidth(), plan.loadHeight());
    }

    /** 8-bit sRGB or grey from the start, so that pads, effects and shapes work on 0-255 values. */
    private static VipsImage colour(VipsScope scope, VipsImage image) {
        return ColourStep.normalise(scope, image);
    }

    private static VipsImage stage(VipsScope scope, VipsImage image, Transformation stage, Plan plan, double dpr,
            ImageFormat output) {
        RenderContext context = new RenderContext(scope, stage, plan, dpr, output);
        VipsImage out = image;
        for (Step step : STAGE_STEPS) {
            out = step.apply(context, out);
        }
        return out;
    }

    /**
     * A border grows the image past its plan, and the next stage plans from what it gets: so the
     * limits on the plan are checked again on what each stage made.
     */
    private void checkStage(VipsImage image, long sourcePixels) throws RenderException {
        Geometry.checkCanvas(image.width(), image.height(), sourcePixels, limits.maxDimension(),
                limits.maxOutputPixels());
    }

    /**
     * Never heavier than needed: the original answers, through {@link Strip#original} (which
     * keeps its pixels and nothing else, or declines), when it already is what was asked for:
     * same format, same dimensions, same pixels (one stage, and no effect, rotation, flip,
     * background, corners, border or opacity), one frame, and no orientation a viewer would have to apply (stripping takes the EXIF that
     * says it).
     */
    private static boolean satisfiedByOriginal(ImageFormat format, SourceInfo info, VipsScope.Header header,
            Transformation t, ImageFormat output, int width, int height) {
        return format == output && width == info.width() && height == info.height() && info.pages() == 1
                && header.orientation() == 1 && t.before().isEmpty()
                && t.effects().isEmpty() && t.angle().isEmpty() && t.background().isEmpty()
                && t.radius().isEmpty() && t.border().isEmpty() && t.opacity().isEmpty();
    }

    private static ImageFormat sniff(byte[] source) throws RenderException {
        return ImageFormat.sniff(source).orElseThrow(
                () -> new RenderException(415, "the original is not an image format imgorigin reads", ""));
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
