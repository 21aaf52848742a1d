package org.imgorigin.render;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.url.Layer;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;

/**
 * Draws a {@link Layer} over every frame of the image the stages before it made: the layer's
 * source (another original, loaded with shrink-on-load to what its first stage needs, or text
 * laid out by Pango) through the layer's own stages, under the same limits as any stage, then
 * composed at its placement by its alpha. An animated layer gives its first frame.
 */
final class Layers {
    private Layers() {
    }

    static List<VipsImage> draw(VipsScope scope, List<VipsImage> frames, Layer layer, double dpr,
            Map<ImageId, byte[]> sources, RenderLimits limits, ImageFormat output) throws RenderException {
        VipsImage base = frames.getFirst();
        List<Transformation> stages = resolveRelative(layer, base.width(), base.height(), dpr);
        Transformation first = stages.isEmpty() ? Transformation.NONE : stages.getFirst();
        List<VipsImage> drawn;
        Plan plan;
        switch (layer.source()) {
            case Layer.Source.Image image -> {
                byte[] bytes = sources.get(image.id());
                if (bytes == null) {
                    throw new IllegalStateException("the layer's original was not read: " + image.id());
                }
                MemorySegment buffer = scope.buffer(bytes);
                VipsScope.Header header = scope.header(buffer);
                int width = header.transposed() ? header.height() : header.width();
                int height = header.transposed() ? header.width() : header.height();
                if ((long) width * height > limits.maxSourcePixels()) {
                    throw new RenderException(422, "the layer l_" + image.id() + " has " + (long) width * height
                            + " pixels, over the limit of " + limits.maxSourcePixels() + " (IMGORIGIN_MAX_SOURCE_PIXELS)",
                            "");
                }
                plan = Geometry.plan(width, height, first, dpr, limits.maxDimension(), limits.maxOutputPixels());
                drawn = new ArrayList<>(List.of(Renderer.colour(scope, scope.thumbnail(buffer, plan.loadWidth(),
                        plan.loadHeight(), VipsScope.Size.FORCE, false, 0))));
            }
            case Layer.Source.Text text -> {
                VipsImage mask = text(scope, text, dpr, limits);
                drawn = new ArrayList<>(List.of(scope.colouredMask(mask, RenderContext.colour(text.colour(), false))));
                Plan textPlan = Geometry.plan(mask.width(), mask.height(), first, dpr, limits.maxDimension(),
                        limits.maxOutputPixels());
                drawn.replaceAll(d -> Renderer.resizeTo(scope, d, textPlan));
                plan = textPlan;
            }
        }
        drawn = Renderer.stage(scope, drawn, first, plan, dpr, output);
        for (int i = 1; i < stages.size(); i++) {
            VipsImage current = drawn.getFirst();
            // A face gravity on a layer's stage crops by saliency: faces are looked for on the image.
            Plan next = Geometry.laterStage(current.width(), current.height(), stages.get(i), dpr, Optional.empty(),
                    limits.maxDimension(), limits.maxOutputPixels());
            drawn.replaceAll(d -> Renderer.resizeTo(scope, d, next));
            drawn = Renderer.stage(scope, drawn, stages.get(i), next, dpr, output);
        }
        VipsImage overlay = drawn.getFirst();
        Geometry.checkCanvas(overlay.width(), overlay.height(), 1, (long) overlay.width() * overlay.height(),
                limits.maxDimension(), limits.maxOutputPixels());
        if (EffectsStep.colourBands(overlay) < 3) {
            overlay = scope.toSrgb(overlay);
        }
        overlay = scope.withAlpha(overlay);
        int[] at = position(layer.placement(), base.width(), base.height(), overlay.width(), overlay.height(), dpr);
        List<VipsImage> out = new ArrayList<>(frames.size());
        for (VipsImage frame : frames) {
            VipsImage under = EffectsStep.colourBands(frame) < 3 ? scope.toSrgb(frame) : frame;
            VipsImage composed = scope.over(under, overlay, at[0], at[1]);
            // Drawn on an opaque image, the result is opaque: no alpha band to encode.
            out.add(frame.hasAlpha() ? composed : scope.flatten(composed, new double[] {0, 0, 0}));
        }
        return out;
    }

    /**
     * {@code fl_relative}: the first stage's fractional width and height are fractions of the
     * image drawn on, made into pixels here (at DPR 1, since the stage scales them by DPR).
     */
    private static List<Transformation> resolveRelative(Layer layer, int baseWidth, int baseHeight, double dpr) {
        if (!layer.relative() || layer.stages().isEmpty()) {
            return layer.stages();
        }
        Transformation first = layer.stages().getFirst();
        Transformation.Builder b = first.toBuilder();
        if (first.width().orElse(null) instanceof Length.Fraction f) {
            b.width(java.util.Optional.<Length>of(new Length.Pixels(Math.max(1, (int) Math.round(f.value() * baseWidth / dpr)))));
        }
        if (first.height().orElse(null) instanceof Length.Fraction f) {
            b.height(java.util.Optional.<Length>of(new Length.Pixels(Math.max(1, (int) Math.round(f.value() * baseHeight / dpr)))));
        }
        List<Transformation> stages = new ArrayList<>(layer.stages());
        stages.set(0, b.build());
        return stages;
    }

    /** The layer's top-left corner: by gravity, then moved away from the edges it names by the offsets. */
    static int[] position(Layer.Placement placement, int width, int height, int layerWidth, int layerHeight,
            double dpr) {
        int dx = placement.x().map(x -> x.pixels(width, dpr)).orElse(0);
        int dy = placement.y().map(y -> y.pixels(height, dpr)).orElse(0);
        Gravity g = placement.gravity();
        boolean east = g == Gravity.EAST || g == Gravity.NORTH_EAST || g == Gravity.SOUTH_EAST;
        boolean west = g == Gravity.WEST || g == Gravity.NORTH_WEST || g == Gravity.SOUTH_WEST;
        boolean north = g == Gravity.NORTH || g == Gravity.NORTH_EAST || g == Gravity.NORTH_WEST;
        boolean south = g == Gravity.SOUTH || g == Gravity.SOUTH_EAST || g == Gravity.SOUTH_WEST;
        int left = east ? width - layerWidth - dx : west ? dx : (width - layerWidth) / 2 + dx;
        int top = south ? height - layerHeight - dy : north ? dy : (height - layerHeight) / 2 + dy;
        return new int[] {left, top};
    }

    /**
     * The text's mask. Pango lays it out and draws it in one call that the render's time limit
     * cannot stop, so its size is bounded before: each character may take at most 4 em across
     * and 1.5 em down (with the spacing asked for). The widest glyphs of the fonts installed
     * (U+FDFD, cuneiform) stay within that, and marks stacked on one letter take a tenth of an
     * em each; the drawn mask is then checked against the output limits like any layer.
     */
    private static VipsImage text(VipsScope scope, Layer.Source.Text text, double dpr, RenderLimits limits)
            throws RenderException {
        double size = text.font().size() * dpr;
        long characters = text.text().codePointCount(0, text.text().length());
        double across = 4 * size + Math.abs(text.font().letterSpacing()) * dpr;
        double down = 1.5 * size + Math.abs(text.font().lineSpacing()) * dpr;
        double bound = characters * across * down;
        if (bound > limits.maxOutputPixels()) {
            throw new RenderException(400, "the text layer of " + characters + " characters at " + Math.round(size)
                    + " px could take up to " + Math.round(bound) + " pixels, over the limit of "
                    + limits.maxOutputPixels() + " (IMGORIGIN_MAX_OUTPUT_PIXELS); use a smaller size or a shorter text",
                    "");
        }
        StringBuilder font = new StringBuilder(text.font().family());
        if (text.font().bold()) {
            font.append(" Bold");
        }
        if (text.font().italic()) {
            font.append(" Italic");
        }
        font.append(' ').append(Math.max(1, Math.round(size)));
        String markup = escape(text.text());
        if (text.font().letterSpacing() != 0) {
            markup = "<span letter_spacing=\"" + Math.round(text.font().letterSpacing() * dpr * 1024) + "\">" + markup
                    + "</span>";
        }
        return scope.text(markup, font.toString(), (int) Math.round(text.font().lineSpacing() * dpr));
    }

    /** Pango markup's escapes, so the text is shown as written and never read as markup. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
