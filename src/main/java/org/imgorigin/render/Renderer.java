package org.imgorigin.render;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.imgorigin.faces.Box;
import org.imgorigin.faces.FaceDetector;
import org.imgorigin.faces.FaceMemory;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
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

    /** A frame's delay when the source gives none: what browsers show for a GIF's 0. */
    private static final int DEFAULT_DELAY_MILLIS = 100;

    /** The size of the preview that {@code e_trim} looks for its box in, on a first stage. */
    private static final long TRIM_PREVIEW_PIXELS = 4_000_000;

    private final RenderLimits limits;
    private final EncodeBudget budget;
    /** Whether libvips was built with libjxl (see {@link Vips#writesJpegXl()}). */
    private final boolean writesJpegXl;
    /** Finds the faces of {@code g_face} and {@code g_faces}. */
    private final FaceDetector faces;
    /** The faces of the originals rendered lately: each original's variants look once. */
    private final FaceMemory faceMemory = new FaceMemory(FACE_MEMORY_ORIGINALS);
    /** About 200 bytes an original with a few faces: under 1 MB in all. */
    static final int FACE_MEMORY_ORIGINALS = 4096;

    /** A renderer with the machine's face detector ({@link FaceDetector#system()}). */
    public Renderer(RenderLimits limits) {
        this(limits, FaceDetector.system());
    }

    public Renderer(RenderLimits limits, FaceDetector faces) {
        this.faces = Objects.requireNonNull(faces, "faces");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.budget = new EncodeBudget(limits);
        Vips.init();
        this.writesJpegXl = Vips.writesJpegXl();
    }

    /**
     * The limits on an original, from its header, before any pixel is decoded: its pixels (every
     * frame's) and its frames. The one check for uploads and for originals stored before a limit
     * was lowered.
     *
     * @throws RenderException 422 naming the limit
     */
    public void admit(SourceInfo info) throws RenderException {
        if (info.pixels() > limits.maxSourcePixels()) {
            throw new RenderException(422, "the image has " + info.pixels() + " pixels"
                    + (info.pages() > 1 ? " in " + info.pages() + " frames" : "") + ", over the limit of "
                    + limits.maxSourcePixels() + " (IMGORIGIN_MAX_SOURCE_PIXELS)", "");
        }
        if (info.pages() > limits.maxFrames()) {
            throw new RenderException(422, "the image has " + info.pages() + " frames, over the limit of "
                    + limits.maxFrames() + " (IMGORIGIN_MAX_FRAMES)", "");
        }
    }

    /** Reads an original's header only: format, displayed dimensions, frames, alpha. */
    public SourceInfo inspect(byte[] source) throws RenderException {
        ImageFormat format = sniff(source);
        try (VipsScope scope = Vips.scope()) {
            VipsScope.Header header = scope.header(scope.buffer(source));
            return info(format, header, source);
        } catch (VipsException e) {
            throw new RenderException(422, e.getMessage(), e.detail());
        }
    }

    /** Renders {@code transformation} (with its {@code auto} forms resolved) as {@code output}. */
    public RenderedImage render(byte[] source, Transformation transformation, ImageFormat output)
            throws RenderException {
        return render(source, transformation, output, Map.of(), MezzanineSource.NONE);
    }

    /**
     * Renders {@code transformation} as {@code output}. {@code layers} holds the original of every
     * image its layers draw ({@link Transformation#layerImages()}). When the first stage's plan
     * fits inside a mezzanine of this {@code source} ({@link Mezzanine#couldServe}), its pixels
     * come from {@code mezzanines}' (see {@link MezzanineSource#turn}): loaded from the kept one,
     * or, by the render that makes it, resized from the same decode of the original that made
     * it; the geometry is planned on the original either way. Making it is part of this render
     * and within its time limit.
     */
    public RenderedImage render(byte[] source, Transformation transformation, ImageFormat output,
            Map<ImageId, byte[]> layers, MezzanineSource mezzanines) throws RenderException {
        return render(source, transformation, output, layers, mezzanines, Optional.empty());
    }

    /** One variant of {@link #renderMany}: a transformation with its auto forms resolved, and its format. */
    public record Job(Transformation transformation, ImageFormat output) {
        public Job {
            Objects.requireNonNull(transformation, "transformation");
            Objects.requireNonNull(output, "output");
        }
    }

    /**
     * Renders several variants of one original from one decode: the original is decoded once
     * (shrinking on load) to the smallest size that holds the load size of every job's first
     * stage, held in memory, and each job resized from it to its own load size and rendered
     * through the usual steps, with its own time limit. What a render from the original would
     * plan, it plans (the geometry is the original's; only the resampling differs: within a
     * PSNR of 40 dB, see docs/benchmarks.md).
     *
     * <p>The answer has one entry per job, in order: its render, or empty when the shared decode
     * does not cover it and it must be rendered alone ({@link #render}, which also says what is
     * wrong with one that fails). Not covered: animations, multi-page originals, originals with
     * alpha or that are not 8-bit sRGB or grey once loaded, {@code pg_}, layers, {@code e_trim}
     * or {@code a_ignore} in the first stage, a load size larger than the original, and every
     * job when fewer than two are covered or when the shared image would have more than
     * {@code IMGORIGIN_MAX_OUTPUT_PIXELS} (its memory is bounded by the output limit).
     *
     * @throws RenderException when the original itself is refused (format, limits)
     */
    public List<Optional<RenderedImage>> renderMany(byte[] source, List<Job> jobs) throws RenderException {
        return renderMany(source, jobs, (index, rendered) -> { });
    }

    /** Hears of each job of {@link #renderMany} that the shared decode covered, as soon as it ends. */
    @FunctionalInterface
    public interface Each {
        /** Job {@code index} (in {@code jobs}) is rendered. */
        void rendered(int index, RenderedImage rendered);

        /** Job {@code index} failed, as it would alone (its answer is empty in the list). */
        default void failed(int index, RenderException failure) {
        }

        /**
         * The original, once decoded, is not what a shared decode serves (alpha, or not 8-bit
         * sRGB or grey: CMYK, 16-bit): every job is left to render alone, and always will be.
         */
        default void unshareable() {
        }
    }

    /**
     * {@link #renderMany(byte[], List)}, telling {@code each} of every covered job as soon as it
     * ends, before the ones after it are rendered.
     */
    public List<Optional<RenderedImage>> renderMany(byte[] source, List<Job> jobs, Each each)
            throws RenderException {
        ImageFormat format = sniff(source);
        List<Optional<RenderedImage>> out = new ArrayList<>(Collections.nCopies(jobs.size(),
                Optional.<RenderedImage>empty()));
        try (VipsScope scope = Vips.scope()) {
            ScheduledFuture<?> alarm =
                    WATCHDOG.schedule(scope::kill, limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
            VipsImage whole;
            boolean[] covered = new boolean[jobs.size()];
            try {
                MemorySegment buffer = scope.buffer(source);
                VipsScope.Header header = scope.header(buffer);
                SourceInfo info = info(format, header, source);
                admit(info);
                double scale = 0;
                int count = 0;
                for (int i = 0; i < jobs.size(); i++) {
                    Optional<Plan> plan = sharedPlan(info, jobs.get(i));
                    if (plan.isPresent()) {
                        covered[i] = true;
                        count++;
                        scale = Math.max(scale, Math.max((double) plan.get().loadWidth() / info.width(),
                                (double) plan.get().loadHeight() / info.height()));
                    }
                }
                int width = (int) Math.min(info.width(), Math.ceil(info.width() * scale));
                int height = (int) Math.min(info.height(), Math.ceil(info.height() * scale));
                if (count < 2 || (long) width * height > limits.maxOutputPixels()) {
                    return out;
                }
                VipsImage decoded = colour(scope, scope.thumbnail(buffer, width, height, VipsScope.Size.FORCE, false));
                if (!decoded.plain()) {
                    each.unshareable();
                    return out;
                }
                whole = scope.materialise(decoded);
            } catch (VipsException e) {
                return out; // each render alone says what is wrong
            } finally {
                alarm.cancel(false);
                UNTRIMMED.incrementAndGet();
            }
            for (int i = 0; i < jobs.size(); i++) {
                if (covered[i]) {
                    try {
                        RenderedImage rendered = render(source, jobs.get(i).transformation(), jobs.get(i).output(),
                                Map.of(), MezzanineSource.NONE, Optional.of(whole));
                        out.set(i, Optional.of(rendered));
                        each.rendered(i, rendered);
                    } catch (RenderException e) {
                        each.failed(i, e); // an eager set leaves it to a render of its own, which answers why
                    }
                }
            }
            return out;
        }
    }

    /**
     * Whether {@link #renderMany}'s shared decode of an original described by {@code info} would
     * cover {@code job} (it may still render it alone, as when fewer than two are covered).
     */
    public boolean shareable(SourceInfo info, Job job) {
        return sharedPlan(info, job).isPresent();
    }

    /**
     * The plan of {@code job}'s first stage when {@link #renderMany}'s shared decode covers it;
     * empty otherwise.
     */
    private Optional<Plan> sharedPlan(SourceInfo info, Job job) {
        Transformation t = job.transformation();
        // A still without alpha: the one decode is of one page, and alpha is left to a render alone.
        if (info.pages() != 1 || info.hasAlpha()) {
            return Optional.empty();
        }
        if (t.needsNegotiation() || !job.output().writable() || !t.layerImages().isEmpty() || t.page().isPresent()
                || (job.output() == ImageFormat.JXL && !writesJpegXl)) {
            return Optional.empty();
        }
        Transformation first = t.stages().getFirst();
        // A face gravity's plan depends on the faces found (a c_thumb zooms to them): alone.
        if (first.layer().isPresent() || first.effects().has(Effect.TRIM) || FaceFocus.wanted(first)
                || first.angle().filter(a -> a == Transformation.Angle.IGNORE).isPresent()) {
            return Optional.empty();
        }
        try {
            Plan plan = Geometry.plan(info.width(), info.height(), first, Geometry.dpr(t), limits.maxDimension(),
                    limits.maxOutputPixels());
            return plan.noRotate() || plan.loadWidth() > info.width() || plan.loadHeight() > info.height()
                    ? Optional.empty() : Optional.of(plan);
        } catch (RenderException e) {
            return Optional.empty();
        }
    }

    private RenderedImage render(byte[] source, Transformation transformation, ImageFormat output,
            Map<ImageId, byte[]> layers, MezzanineSource mezzanines, Optional<VipsImage> shared)
            throws RenderException {
        if (transformation.needsNegotiation()) {
            throw new IllegalArgumentException("auto forms must be resolved before rendering");
        }
        if (!output.writable()) {
            throw new IllegalArgumentException("not an output format: " + output);
        }
        ImageFormat format = sniff(source);
        long start = System.nanoTime();
        return withinLimit(scope -> render(scope, source, format, transformation, output, start, layers, mezzanines,
                shared));
    }

    /** Work on native images that one render may do. */
    @FunctionalInterface
    private interface Work<T> {
        T run(VipsScope scope) throws RenderException;
    }

    /**
     * {@code work} in a scope of its own, stopped at {@link RenderLimits#timeout()}: a libvips
     * failure after the stop is a 503, any other a 422 with libvips' message.
     */
    private <T> T withinLimit(Work<T> work) throws RenderException {
        try (VipsScope scope = Vips.scope()) {
            ScheduledFuture<?> alarm =
                    WATCHDOG.schedule(scope::kill, limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
            try {
                return work.run(scope);
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

    /**
     * The {@link Mezzanine} of an original larger than {@code edge} pixels on its long side,
     * made with one decode, or empty when none is {@link Mezzanine#worthMaking worth making};
     * under the same limits and time limit as a render.
     */
    public Optional<Mezzanine> mezzanine(byte[] source, int edge) throws RenderException {
        ImageFormat format = sniff(source);
        return withinLimit(scope -> {
            MemorySegment buffer = scope.buffer(source);
            SourceInfo info = info(format, scope.header(buffer), source);
            admit(info);
            // Its pixels are freed with this scope: the caller gets the JPEG alone.
            return Mezzanine.make(scope, buffer, info, edge).map(Mezzanine::withoutPixels);
        });
    }

    private RenderedImage render(VipsScope scope, byte[] source, ImageFormat format, Transformation transformation,
            ImageFormat output, long start, Map<ImageId, byte[]> layers, MezzanineSource mezzanines,
            Optional<VipsImage> shared) throws RenderException {
        MemorySegment buffer = scope.buffer(source);
        VipsScope.Header header = scope.header(buffer);
        SourceInfo info = info(format, header, source);
        admit(info);
        int page = transformation.page().orElse(1) - 1;
        if (page >= info.pages()) {
            throw new RenderException(400, "pg_" + (page + 1) + " asks for a frame or page the image does not have: it has "
                    + info.pages(), "");
        }
        if (output == ImageFormat.JXL && !writesJpegXl) {
            throw new RenderException(400, "this server cannot write JPEG XL: its libvips was built without"
                    + " libjxl; ask for another format", "");
        }
        VipsScope.Header pageHeader = page == 0 ? header : scope.header(buffer, page);
        if ((long) pageHeader.width() * pageHeader.height() > limits.maxSourcePixels()) {
            // Pages of a TIFF or HEIF may each have their own size: the one decoded is checked.
            throw new RenderException(422, "page " + (page + 1) + " has " + (long) pageHeader.width() * pageHeader.height()
                    + " pixels, over the limit of " + limits.maxSourcePixels() + " (IMGORIGIN_MAX_SOURCE_PIXELS)", "");
        }
        // An animation stays one (every frame, its delay and the loop count) when the output
        // can animate and no pg_ picks a frame; otherwise its first frame (or pg_'s) is a still.
        int frameCount = animates(info, transformation, output) ? info.pages() : 1;
        double dpr = Geometry.dpr(transformation);
        List<Transformation> stages = transformation.stages();

        // The first stage loads, shrinking on load to what its plan needs, unless it trims first
        // (the trimmed box is known only once every pixel has been seen). A layer drawn first is
        // drawn on the original as it is.
        boolean layerFirst = stages.getFirst().layer().isPresent();
        Transformation first = layerFirst ? Transformation.NONE : stages.getFirst();
        boolean noRotate = first.angle().filter(a -> a == Transformation.Angle.IGNORE).isPresent();
        boolean swap = !noRotate && pageHeader.transposed();
        int width = swap ? pageHeader.height() : pageHeader.width();
        int height = swap ? pageHeader.width() : pageHeader.height();
        long sourcePixels = (long) width * height;
        List<VipsImage> frames;
        Plan plan;
        boolean fromMezzanine = false;
        Optional<Box> focus = Optional.empty();
        // Faces are looked for only for a crop, and after the plan without them has refused a
        // size over the limits (a trimmed image's plan is known only after its trim).
        if (FaceFocus.wanted(first) && (first.effects().has(Effect.TRIM)
                || Geometry.plan(width, height, first, dpr, limits.maxDimension(), limits.maxOutputPixels())
                        .cut().isPresent())) {
            // The kept mezzanine holds the upright first page: enough for the faces, for less.
            boolean upright = page == 0 && (!noRotate || header.orientation() == 1);
            focus = FaceFocus.ofSource(faces, faceMemory, scope, buffer,
                    () -> upright ? mezzanines.kept().map(m -> scope.buffer(m.jpeg())) : Optional.empty(),
                    width, height, noRotate, page, first);
        }
        if (first.effects().has(Effect.TRIM)) {
            // The original is loaded at the plan's scale and cut to the trimmed box.
            int[] box = trimmedBox(scope, buffer, width, height, noRotate, page,
                    first.effects().get(Effect.TRIM).getAsInt());
            Box trimmed = Box.ofPixels(box[0], box[1], box[2], box[3], width, height);
            plan = Geometry.plan(box[2], box[3], first, dpr, focus.flatMap(f -> f.within(trimmed)),
                    limits.maxDimension(), limits.maxOutputPixels());
            double s = (double) plan.loadWidth() / box[2];
            double t = (double) plan.loadHeight() / box[3];
            int loadWidth = Math.max(1, (int) Math.round(width * s));
            int loadHeight = Math.max(1, (int) Math.round(height * t));
            int x = Math.min(loadWidth - 1, (int) Math.round(box[0] * s));
            int y = Math.min(loadHeight - 1, (int) Math.round(box[1] * t));
            frames = new ArrayList<>();
            for (VipsImage frame : load(scope, buffer, loadWidth, loadHeight, noRotate, page, frameCount)) {
                VipsImage cut = scope.extractArea(frame, x, y, Math.min(plan.loadWidth(), loadWidth - x),
                        Math.min(plan.loadHeight(), loadHeight - y));
                frames.add(resizeTo(scope, cut, plan));
            }
        } else {
            plan = Geometry.plan(width, height, first, dpr, focus, limits.maxDimension(), limits.maxOutputPixels());
            Geometry.checkCanvas(plan.outputWidth(), plan.outputHeight(), frameCount, sourcePixels,
                    limits.maxDimension(), limits.maxOutputPixels());
            if (stages.size() == 1) {
                // The encode's own bound, known before a pixel is decoded when nothing follows.
                budget.checkPlan(output, (long) plan.outputWidth() * plan.outputHeight() * frameCount);
            }
            if (shared.isPresent() && frameCount == 1 && page == 0 && !plan.noRotate()
                    && plan.loadWidth() <= shared.get().width() && plan.loadHeight() <= shared.get().height()) {
                // The original decoded once for several variants (see renderMany): resized from memory.
                frames = fromDecoded(scope, shared.get(), plan);
            } else {
                Optional<List<VipsImage>> standIn = Mezzanine.couldServe(plan, info, header.orientation(), page,
                        frameCount, mezzanines.edge())
                        ? fromMezzanine(scope, buffer, info, plan, mezzanines, start) : Optional.empty();
                fromMezzanine = standIn.isPresent();
                frames = standIn.isPresent() ? standIn.get() : load(scope, buffer, plan.loadWidth(),
                        plan.loadHeight(), plan.noRotate(), page, frameCount);
            }
        }
        frames = stage(scope, frames, first, plan, dpr, output);
        checkStage(frames, sourcePixels);
        for (int i = layerFirst ? 0 : 1; i < stages.size(); i++) {
            Transformation stage = stages.get(i);
            Transformation before = i == 0 ? first : stages.get(i - 1);
            if (before.background().isPresent()) {
                // b_ in a stage is that stage's background: its transparency ends there.
                double[] colour = RenderContext.colour(before.background().get(), false);
                frames.replaceAll(frame -> frame.hasAlpha() ? scope.flatten(frame, colour) : frame);
            }
            if (stage.layer().isPresent()) {
                frames = Layers.draw(scope, frames, stage.layer().get(), dpr, layers, limits, output);
                checkStage(frames, sourcePixels);
                continue;
            }
            if (stage.effects().has(Effect.TRIM)) {
                // The stages before made these frames, no larger than the output limits allow:
                // the first is held whole while its box is found, and every frame cut to it.
                VipsImage whole = scope.materialise(frames.getFirst());
                frames.set(0, whole);
                int[] box = EffectsStep.trimBox(scope, whole, stage.effects().get(Effect.TRIM).getAsInt());
                frames.replaceAll(frame -> scope.extractArea(frame, box[0], box[1], box[2], box[3]));
            }
            Optional<Box> stageFocus = FaceFocus.ofFrames(faces, scope, frames, stage);
            plan = plan(frames.getFirst(), stage, dpr, stageFocus);
            Plan stagePlan = plan;
            frames.replaceAll(frame -> resizeTo(scope, frame, stagePlan));
            frames = stage(scope, frames, stage, plan, dpr, output);
            checkStage(frames, sourcePixels);
        }
        RenderContext last = new RenderContext(scope, transformation, plan, dpr, output);
        for (Step step : FINISH) {
            frames.replaceAll(frame -> step.apply(last, frame));
        }
        VipsImage first0 = frames.getFirst();
        VipsImage image = frames.size() == 1 ? first0
                : scope.animation(scope.stack(frames), first0.height(), delays(header, frames.size()), header.loop());

        long outputPixels = (long) image.width() * image.height();
        budget.checkPlan(output, outputPixels);
        if (budget.checkBeforeEncoding(output, outputPixels)) {
            image = scope.materialise(image);
            budget.checkTimeLeft(output, outputPixels, start);
        }
        byte[] bytes = Encoder.encode(scope, image, output, transformation.quality(),
                transformation.progressive(), budget.effort(output, outputPixels));
        if (bytes.length > source.length && satisfiedByOriginal(format, info, header, transformation, output,
                first0.width(), first0.height(), frames.size())) {
            Optional<byte[]> stripped = Strip.original(format, source);
            if (stripped.isPresent() && stripped.get().length < bytes.length) {
                return new RenderedImage(stripped.get(), output, first0.width(), first0.height(), true, bytes.length,
                        fromMezzanine);
            }
        }
        return new RenderedImage(bytes, output, first0.width(), first0.height(), false, bytes.length, fromMezzanine);
    }

    /**
     * The first stage's image at {@code plan}'s load size from the original's mezzanine, as
     * {@code mezzanines} has it: loaded from the one kept, or made now from one decode of the
     * original ({@code buffer}) that both makes the mezzanine and is resized to the plan; empty
     * when the render loads from the original. Only for a plan that {@link Mezzanine#couldServe}.
     */
    private Optional<List<VipsImage>> fromMezzanine(VipsScope scope, MemorySegment buffer, SourceInfo info, Plan plan,
            MezzanineSource mezzanines, long start) {
        Duration left = limits.timeout().minusNanos(System.nanoTime() - start);
        // A render waits for another's mezzanine at most half the time it has left, so that
        // when it gives up, the other half is still there for a render from the original.
        switch (mezzanines.turn(left.isNegative() ? Duration.ZERO : left.dividedBy(2))) {
            case MezzanineSource.Turn.Original original -> {
                return Optional.empty();
            }
            case MezzanineSource.Turn.Use use -> {
                // Its pixels where they are still held in memory; else its JPEG, decoded.
                Optional<VipsImage> decoded = use.mezzanine().pixels().flatMap(scope::view);
                return Optional.of(decoded.isPresent()
                        ? fromDecoded(scope, decoded.get(), plan)
                        : load(scope, scope.buffer(use.mezzanine().jpeg()), plan.loadWidth(), plan.loadHeight(),
                                plan.noRotate(), 0, 1));
            }
            case MezzanineSource.Turn.Make make -> {
                if (left.compareTo(limits.timeout().dividedBy(2)) < 0) {
                    // Past half its time (a loaded node): making the mezzanine (a larger decode,
                    // a q95 encode) could cost this request a 503 that a direct render avoids.
                    // Reported as not made, so renders go from the original for a while.
                    make.done().accept(Optional.empty());
                    return Optional.empty();
                }
                Optional<Mezzanine> made = Optional.empty();
                try {
                    int edge = mezzanines.edge();
                    int[] size = Mezzanine.size(info.width(), info.height(), edge).orElseThrow();
                    // Held whole in memory: never more than a render may make.
                    if ((long) size[0] * size[1] <= limits.maxOutputPixels()) {
                        made = Mezzanine.make(scope, buffer, info, edge);
                    }
                } finally {
                    make.done().accept(made); // failures included, which it remembers
                }
                // Its pixels are leased to this scope since they were made.
                return made.flatMap(Mezzanine::pixels).flatMap(scope::view)
                        .map(image -> fromDecoded(scope, image, plan));
            }
        }
    }

    /**
     * {@code e_trim}'s box {left, top, width, height} in the {@code width}×{@code height}
     * original, found on a preview of at most {@link #TRIM_PREVIEW_PIXELS} (shrunk on load; the
     * first frame of an animation), so that trimming a large original never holds it whole.
     */
    private static int[] trimmedBox(VipsScope scope, MemorySegment buffer, int width, int height, boolean noRotate,
            int page, int tolerance) {
        double p = Math.min(1.0, Math.sqrt((double) TRIM_PREVIEW_PIXELS / ((long) width * height)));
        VipsImage preview = colour(scope, scope.thumbnail(buffer, Math.max(1, (int) Math.round(width * p)),
                Math.max(1, (int) Math.round(height * p)), VipsScope.Size.FORCE, noRotate, page));
        int[] box = EffectsStep.trimBox(scope, preview, tolerance);
        double toX = (double) width / preview.width();
        double toY = (double) height / preview.height();
        int left = (int) Math.floor(box[0] * toX);
        int top = (int) Math.floor(box[1] * toY);
        return new int[] {left, top, Math.min(width - left, (int) Math.ceil(box[2] * toX)),
            Math.min(height - top, (int) Math.ceil(box[3] * toY))};
    }

    /**
     * True when the render keeps the source's animation: an animated GIF or WebP, no
     * {@code pg_} picking one frame, and an output that animates (GIF, WebP; libvips 8.14
     * writes no animated AVIF).
     */
    static boolean animates(SourceInfo info, Transformation t, ImageFormat output) {
        return info.animated() && t.page().isEmpty() && output.animates();
    }

    /** The source at {@code width}×{@code height} per frame: one frame, or every frame of an animation. */
    private static List<VipsImage> load(VipsScope scope, MemorySegment buffer, int width, int height,
            boolean noRotate, int page, int frameCount) {
        if (frameCount == 1) {
            return new ArrayList<>(List.of(colour(scope, scope.thumbnail(buffer, width, height, VipsScope.Size.FORCE,
                    noRotate, page))));
        }
        VipsImage stack = colour(scope, scope.thumbnailFrames(buffer, width, height, noRotate));
        int frameHeight = stack.height() / frameCount;
        List<VipsImage> frames = new ArrayList<>(frameCount);
        for (int i = 0; i < frameCount; i++) {
            frames.add(scope.extractArea(stack, 0, i * frameHeight, stack.width(), frameHeight));
        }
        return frames;
    }

    /** The source's delay per frame, in milliseconds; 100 ms where it says none. */
    private static int[] delays(VipsScope.Header header, int frames) {
        int[] delays = new int[frames];
        for (int i = 0; i < frames; i++) {
            delays[i] = i < header.delays().length ? header.delays()[i] : DEFAULT_DELAY_MILLIS;
        }
        return delays;
    }

    /** The plan of a stage on the image the stages before it made; bounded like the first. */
    private Plan plan(VipsImage image, Transformation stage, double dpr, Optional<Box> focus) throws RenderException {
        return Geometry.laterStage(image.width(), image.height(), stage, dpr, focus, limits.maxDimension(),
                limits.maxOutputPixels());
    }

    /**
     * The first stage's one frame from an image already decoded in memory (a shared decode, a
     * mezzanine's pixels) instead of a load: resized to the plan's load size, as a load makes it.
     */
    private static List<VipsImage> fromDecoded(VipsScope scope, VipsImage decoded, Plan plan) {
        return new ArrayList<>(List.of(colour(scope, resizeTo(scope, decoded, plan))));
    }

    /** The image at the plan's load size (already there for a first stage that loaded at it). */
    static VipsImage resizeTo(VipsScope scope, VipsImage image, Plan plan) {
        return image.width() == plan.loadWidth() && image.height() == plan.loadHeight()
                ? image
                : scope.resize(image, plan.loadWidth(), plan.loadHeight());
    }

    /** 8-bit sRGB or grey from the start, so that pads, effects and shapes work on 0-255 values. */
    static VipsImage colour(VipsScope scope, VipsImage image) {
        return ColourStep.normalise(scope, image);
    }

    /**
     * One stage's steps on every frame. A crop by saliency ({@code g_auto}, or a face gravity
     * that found no face) of an animation is placed once, from the first frame, so that the
     * frames do not jump.
     */
    static List<VipsImage> stage(VipsScope scope, List<VipsImage> frames, Transformation stage, Plan plan,
            double dpr, ImageFormat output) {
        Plan placed = plan;
        if (frames.size() > 1 && plan.cut().isPresent() && plan.cut().get().smart()) {
            Plan.Cut cut = plan.cut().get();
            VipsImage whole = scope.materialise(frames.getFirst());
            frames.set(0, whole);
            int[] centre = scope.attention(whole, cut.width(), cut.height());
            int left = Math.max(0, Math.min(whole.width() - cut.width(), centre[0] - cut.width() / 2));
            int top = Math.max(0, Math.min(whole.height() - cut.height(), centre[1] - cut.height() / 2));
            placed = new Plan(plan.loadWidth(), plan.loadHeight(), plan.noRotate(),
                    Optional.of(new Plan.Cut(left, top, cut.width(), cut.height(), false)), plan.after(), plan.canvas());
        }
        RenderContext context = new RenderContext(scope, stage, placed, dpr, output);
        List<VipsImage> out = new ArrayList<>(frames.size());
        for (VipsImage frame : frames) {
            VipsImage image = frame;
            for (Step step : STAGE_STEPS) {
                image = step.apply(context, image);
            }
            out.add(image);
        }
        return out;
    }

    /**
     * A border grows the image past its plan, and the next stage plans from what it gets: so the
     * limits on the plan are checked again on what each stage made.
     */
    private void checkStage(List<VipsImage> frames, long sourcePixels) throws RenderException {
        VipsImage image = frames.getFirst();
        Geometry.checkCanvas(image.width(), image.height(), frames.size(), sourcePixels, limits.maxDimension(),
                limits.maxOutputPixels());
    }

    /**
     * Never heavier than needed: the original answers, through {@link Strip#original} (which
     * keeps its pixels and nothing else, or declines), when it already is what was asked for:
     * same format, same dimensions, same pixels (one stage, and no effect, rotation, flip,
     * background, corners, border or opacity), every frame (a still of an animation is not the
     * animation), and no orientation a viewer would have to apply (stripping takes the EXIF that
     * says it).
     */
    private static boolean satisfiedByOriginal(ImageFormat format, SourceInfo info, VipsScope.Header header,
            Transformation t, ImageFormat output, int width, int height, int frames) {
        return format == output && width == info.width() && height == info.height() && frames == info.pages()
                && header.orientation() == 1 && t.before().isEmpty()
                && t.effects().isEmpty() && t.angle().isEmpty() && t.background().isEmpty()
                && t.radius().isEmpty() && t.border().isEmpty() && t.opacity().isEmpty() && t.layer().isEmpty();
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
    private static SourceInfo info(ImageFormat format, VipsScope.Header header, byte[] source) throws RenderException {
        long bytes = source.length;
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
        if (format == ImageFormat.GIF && !GifStrip.complete(source)) {
            throw new RenderException(422, "the GIF is cut short: a frame's data runs past its end", "");
        }
        long duration = 0;
        if (header.pages() > 1) {
            for (int i = 0; i < header.pages(); i++) {
                duration += i < header.delays().length ? header.delays()[i] : DEFAULT_DELAY_MILLIS;
            }
        }
        return header.transposed()
                ? new SourceInfo(format, header.height(), header.width(), header.pages(), header.hasAlpha(), bytes,
                        duration)
                : new SourceInfo(format, header.width(), header.height(), header.pages(), header.hasAlpha(), bytes,
                        duration);
    }
}
