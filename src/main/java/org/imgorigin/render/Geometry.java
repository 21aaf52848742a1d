package org.imgorigin.render;

import java.util.Optional;
import org.imgorigin.faces.Box;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.Transformation.Crop;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;

/**
 * Cloudinary's crop modes as arithmetic on dimensions. Pure and cheap, so every mode is
 * tested without an image; the pipeline then only carries the {@link Plan} out.
 */
final class Geometry {
    private Geometry() {
    }

    /**
     * Plans a render of a {@code sourceWidth}×{@code sourceHeight} image (as displayed, i.e.
     * after EXIF orientation unless {@code a_ignore}). {@code auto} forms must already be
     * resolved. A plan whose final canvas (after DPR, crop and padding) has more than
     * {@code maxOutputPixels} pixels, and more than the source itself, is refused here, before
     * a pixel is decoded. An output no larger than its source is bounded by the source-pixel
     * limit already, so an original accepted at upload stays servable at its own size.
     */
    static Plan plan(int sourceWidth, int sourceHeight, Transformation t, int maxDimension, long maxOutputPixels)
            throws RenderException {
        return plan(sourceWidth, sourceHeight, t, dpr(t), maxDimension, maxOutputPixels);
    }

    /**
     * {@link #plan(int, int, Transformation, int, long)} of one stage of a chain, at the DPR of
     * the whole request (the final stage's), which scales every stage's sizes.
     */
    static Plan plan(int sourceWidth, int sourceHeight, Transformation t, double dpr, int maxDimension,
            long maxOutputPixels) throws RenderException {
        return plan(sourceWidth, sourceHeight, t, dpr, Optional.empty(), maxDimension, maxOutputPixels);
    }

    /**
     * {@link #plan(int, int, Transformation, double, int, long)} with the faces {@code g_face} or
     * {@code g_faces} found ({@code focus}, in fractions of the source): crops are centred on it,
     * and a {@code c_thumb} zooms to it. Without a focus a face gravity is saliency, as {@code g_auto}.
     */
    static Plan plan(int sourceWidth, int sourceHeight, Transformation t, double dpr, Optional<Box> focus,
            int maxDimension, long maxOutputPixels) throws RenderException {
        return plan(sourceWidth, sourceHeight, t, dpr, false, focus, maxDimension, maxOutputPixels);
    }

    /**
     * {@link #plan(int, int, Transformation, double, int, long)} of a stage after the first: its
     * source is an earlier stage's result, already at the request's DPR, so sizes taken from it
     * (fractions, a ratio's box) are not scaled again; sizes in pixels are.
     */
    static Plan laterStage(int sourceWidth, int sourceHeight, Transformation t, double dpr, Optional<Box> focus,
            int maxDimension, long maxOutputPixels) throws RenderException {
        return plan(sourceWidth, sourceHeight, t, dpr, true, focus, maxDimension, maxOutputPixels);
    }

    private static Plan plan(int sourceWidth, int sourceHeight, Transformation t, double dpr,
            boolean sourceInDevicePixels, Optional<Box> focus, int maxDimension, long maxOutputPixels)
            throws RenderException {
        Plan plan = plan(sourceWidth, sourceHeight, t, dpr, sourceInDevicePixels, focus, maxDimension);
        checkPixels(plan.outputWidth(), plan.outputHeight(), 1, (long) sourceWidth * sourceHeight, maxOutputPixels);
        return plan;
    }

    /**
     * The bounds of {@link #plan} on what a stage made ({@code frames} of
     * {@code width}×{@code height}): each side at most {@code maxDimension}, and at most
     * {@code maxOutputPixels} pixels in all frames, unless no larger than the source's.
     */
    static void checkCanvas(int width, int height, int frames, long sourcePixels, int maxDimension,
            long maxOutputPixels) throws RenderException {
        check("width", width, maxDimension);
        check("height", height, maxDimension);
        checkPixels(width, height, frames, sourcePixels, maxOutputPixels);
    }

    /** Every frame of an animation counts: {@code frames} of {@code width}×{@code height} against as many of the source. */
    private static void checkPixels(int width, int height, int frames, long sourcePixels, long maxOutputPixels)
            throws RenderException {
        long pixels = (long) width * height * frames;
        if (pixels > maxOutputPixels && pixels > sourcePixels * frames) {
            throw new RenderException(400, "requested output of " + width + "x" + height
                    + (frames > 1 ? " in " + frames + " frames" : "") + " (" + pixels
                    + " pixels) exceeds the maximum of " + maxOutputPixels
                    + " output pixels (IMGORIGIN_MAX_OUTPUT_PIXELS)", "");
        }
    }

    /** The plan without the output-pixel bound (each side is still bounded by {@code maxDimension}). */
    static Plan plan(int sourceWidth, int sourceHeight, Transformation t, int maxDimension) throws RenderException {
        return plan(sourceWidth, sourceHeight, t, dpr(t), false, Optional.empty(), maxDimension);
    }

    /** The request's device pixel ratio; 1 without {@code dpr_}. */
    static double dpr(Transformation t) {
        return t.dpr().map(d -> switch (d) {
            case Transformation.Dpr.Fixed f -> f.value();
            case Transformation.Dpr.Auto a -> throw new IllegalArgumentException("dpr_auto must be resolved first");
        }).orElse(1.0);
    }

    private static Plan plan(int sourceWidth, int sourceHeight, Transformation t, double dpr,
            boolean sourceInDevicePixels, Optional<Box> faces, int maxDimension) throws RenderException {
        // Only a face gravity is steered by faces; the caller looks for them only then.
        Optional<Box> focus = faces.filter(f -> t.gravity() == Gravity.FACE || t.gravity() == Gravity.FACES);
        boolean noRotate = t.angle().filter(a -> a == Transformation.Angle.IGNORE).isPresent();

        Integer w = t.width().map(l -> pixels(l, sourceWidth)).orElse(null);
        Integer h = t.height().map(l -> pixels(l, sourceHeight)).orElse(null);
        // Sizes taken from the source (fractions, a ratio's largest box) are in device pixels
        // already when the source is an earlier stage's result: the DPR scaled that stage.
        boolean wFromSource = t.width().filter(l -> l instanceof Length.Fraction).isPresent();
        boolean hFromSource = t.height().filter(l -> l instanceof Length.Fraction).isPresent();
        if (t.aspectRatio().isPresent()) {
            double ar = t.aspectRatio().get().ratio();
            if (w != null && h == null) {
                h = atLeastOne(w / ar);
                hFromSource = wFromSource;
            } else if (h != null && w == null) {
                w = atLeastOne(h * ar);
                wFromSource = hFromSource;
            } else if (w == null) {
                // Only a ratio: the largest box of that shape inside the source.
                if ((double) sourceWidth / sourceHeight > ar) {
                    h = sourceHeight;
                    w = atLeastOne(sourceHeight * ar);
                } else {
                    w = sourceWidth;
                    h = atLeastOne(sourceWidth / ar);
                }
                wFromSource = true;
                hFromSource = true;
            }
        }
        if (w != null) {
            w = atLeastOne(w * (wFromSource && sourceInDevicePixels ? 1.0 : dpr));
            check("width", w, maxDimension);
        }
        if (h != null) {
            h = atLeastOne(h * (hFromSource && sourceInDevicePixels ? 1.0 : dpr));
            check("height", h, maxDimension);
        }

        Gravity gravity = t.gravity();
        if (t.crop() == Crop.CROP && w == null && h == null && focus.isPresent()) {
            // c_crop,g_face with no size: the face itself (z_ under 1 takes more around it).
            int cw = Math.min(sourceWidth, atLeastOne(focus.get().width() * sourceWidth / t.zoom().orElse(1.0)));
            int ch = Math.min(sourceHeight, atLeastOne(focus.get().height() * sourceHeight / t.zoom().orElse(1.0)));
            return new Plan(sourceWidth, sourceHeight, noRotate,
                    Optional.of(cut(sourceWidth, sourceHeight, cw, ch, gravity, focus)), Optional.empty(),
                    Optional.empty());
        }
        if (t.crop() == Crop.CROP && (t.zoom().isPresent() || t.x().isPresent() || t.y().isPresent())) {
            return region(sourceWidth, sourceHeight, t, t.zoom().orElse(1.0),
                    w == null ? sourceWidth : w, h == null ? sourceHeight : h, noRotate, focus, maxDimension);
        }
        if (w == null && h == null) {
            return new Plan(sourceWidth, sourceHeight, noRotate, Optional.empty(), Optional.empty(), Optional.empty());
        }
        boolean both = w != null && h != null;
        double fit = Math.min(w == null ? Double.MAX_VALUE : (double) w / sourceWidth,
                h == null ? Double.MAX_VALUE : (double) h / sourceHeight);
        double cover = Math.max(w == null ? 0 : (double) w / sourceWidth, h == null ? 0 : (double) h / sourceHeight);

        return switch (t.crop()) {
            case SCALE -> both
                    ? new Plan(w, h, noRotate, Optional.empty(), Optional.empty(), Optional.empty())
                    : scaled(sourceWidth, sourceHeight, fit, w, h, noRotate);
            case FIT -> scaled(sourceWidth, sourceHeight, fit, null, null, noRotate);
            case LIMIT -> scaled(sourceWidth, sourceHeight, Math.min(1.0, fit), null, null, noRotate);
            case FILL, THUMB -> {
                if (both && t.crop() == Crop.THUMB && focus.isPresent()) {
                    // The faces fill the thumbnail: a region THUMB_MARGIN times their box (less
                    // with z_ over 1), never more than the fill would show.
                    Box f = focus.get();
                    double ratio = (double) w / h;
                    double regionHeight = Math.max(f.height() * sourceHeight, f.width() * sourceWidth / ratio)
                            * THUMB_MARGIN / t.zoom().orElse(1.0);
                    double k = Math.max(cover, h / regionHeight);
                    yield region(sourceWidth, sourceHeight, t, k, w, h, noRotate, focus, maxDimension);
                }
                if (both && cover > 1.0) {
                    // Enlarging: cut the region in the source, then scale it to the box, so the
                    // image held (and read twice by g_auto) is never larger than the source.
                    yield region(sourceWidth, sourceHeight, t, cover * Math.max(1.0, t.zoom().orElse(1.0)), w, h,
                            noRotate, focus, maxDimension);
                }
                if (both && t.zoom().isPresent()) {
                    // Zooming out (under 1) of the fill has no more of the image to show: without
                    // faces to zoom out from, it stops at the fill.
                    yield region(sourceWidth, sourceHeight, t, cover * Math.max(1.0, t.zoom().get()), w, h, noRotate,
                            focus, maxDimension);
                }
                if (!both) {
                    yield scaled(sourceWidth, sourceHeight, fit, w, h, noRotate);
                }
                int lw = Math.max(w, atLeastOne(sourceWidth * cover));
                int lh = Math.max(h, atLeastOne(sourceHeight * cover));
                yield new Plan(lw, lh, noRotate, Optional.of(cut(lw, lh, w, h, gravity, focus)), Optional.empty(),
                        Optional.empty());
            }
            case LFILL -> {
                if (!both) {
                    yield scaled(sourceWidth, sourceHeight, Math.min(1.0, fit), null, null, noRotate);
                }
                double s = Math.min(1.0, cover);
                int lw = atLeastOne(sourceWidth * s);
                int lh = atLeastOne(sourceHeight * s);
                int cw = Math.min(w, lw);
                int ch = Math.min(h, lh);
                yield new Plan(lw, lh, noRotate, Optional.of(cut(lw, lh, cw, ch, gravity, focus)), Optional.empty(),
                        Optional.empty());
            }
            case PAD, LPAD -> {
                double s = t.crop() == Crop.LPAD ? Math.min(1.0, fit) : fit;
                Plan scaled = scaled(sourceWidth, sourceHeight, s, null, null, noRotate);
                if (!both) {
                    yield scaled;
                }
                int lw = scaled.loadWidth();
                int lh = scaled.loadHeight();
                int x = offset(w - lw, horizontal(gravity));
                int y = offset(h - lh, vertical(gravity));
                yield new Plan(lw, lh, noRotate, Optional.empty(), Optional.empty(), Optional.of(new Plan.Canvas(x, y, w, h)));
            }
            case CROP -> {
                int cw = Math.min(w == null ? sourceWidth : w, sourceWidth);
                int ch = Math.min(h == null ? sourceHeight : h, sourceHeight);
                yield new Plan(sourceWidth, sourceHeight, noRotate,
                        Optional.of(cut(sourceWidth, sourceHeight, cw, ch, gravity, focus)), Optional.empty(),
                        Optional.empty());
            }
        };
    }

    /**
     * A region of the source shown at {@code k} output pixels per source pixel, as {@code c_crop}
     * with {@code x_}/{@code y_}/{@code z_} and a zoomed {@code c_thumb} ask: loaded at
     * {@code min(1, k)} (shrinking on load), the region cut there, then scaled to
     * {@code outW}×{@code outH} (less where the region meets the source's edges). The region is
     * placed at {@code x_}/{@code y_} (from the side the gravity names, the top-left by default),
     * kept inside the source, or by the gravity.
     */
    private static Plan region(int sw, int sh, Transformation t, double k, int outW, int outH, boolean noRotate,
            Optional<Box> focus, int maxDimension) throws RenderException {
        double s = Math.min(1.0, k);
        int lw = atLeastOne(sw * s);
        int lh = atLeastOne(sh * s);
        int rw = Math.min(lw, atLeastOne(outW * s / k));
        int rh = Math.min(lh, atLeastOne(outH * s / k));
        Gravity gravity = t.gravity();
        int left;
        int top;
        if (t.x().isPresent() || t.y().isPresent()) {
            left = placed(t.x(), sw, s, lw - rw, horizontal(gravity));
            top = placed(t.y(), sh, s, lh - rh, vertical(gravity));
        } else {
            Plan.Cut placed = cut(lw, lh, rw, rh, gravity, focus);
            left = placed.left();
            top = placed.top();
        }
        Plan.Cut cut = new Plan.Cut(left, top, rw, rh, focus.isEmpty() && gravity.byContent());
        // The size asked for, unless the source's edge cut the region short.
        int ow = rw < atLeastOne(outW * s / k) ? atLeastOne(rw * k / s) : outW;
        int oh = rh < atLeastOne(outH * s / k) ? atLeastOne(rh * k / s) : outH;
        check("width", ow, maxDimension);
        check("height", oh, maxDimension);
        Optional<Plan.Size> after = ow == rw && oh == rh ? Optional.empty() : Optional.of(new Plan.Size(ow, oh));
        return new Plan(lw, lh, noRotate, Optional.of(cut), after, Optional.empty());
    }

    /**
     * Where a region of slack {@code slack} starts for an {@code x_}/{@code y_} offset: from the
     * near edge for a west/north (or centre) gravity, from the far edge for east/south.
     */
    private static int placed(Optional<Transformation.Offset> offset, int source, double scale, int slack, int side) {
        double at = offset.map(o -> switch (o) {
            case Transformation.Offset.Pixels p -> (double) p.value();
            case Transformation.Offset.Fraction f -> f.value() * source;
        }).orElse(0.0) * scale;
        int position = (int) Math.round(at);
        position = Math.min(slack, Math.max(0, position));
        return side > 0 ? slack - position : position;
    }

    /** A uniform scale; the requested side, when one was given, is kept exact despite rounding. */
    private static Plan scaled(int sw, int sh, double scale, Integer exactW, Integer exactH, boolean noRotate) {
        int lw = exactW != null ? exactW : atLeastOne(sw * scale);
        int lh = exactH != null ? exactH : atLeastOne(sh * scale);
        return new Plan(lw, lh, noRotate, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * A {@code w}×{@code h} cut of an {@code imageW}×{@code imageH} image: centred on the faces
     * when there are some (kept inside the image, so faces that fit stay whole), else by the
     * gravity's side, or by saliency for a gravity by content.
     */
    private static Plan.Cut cut(int imageW, int imageH, int w, int h, Gravity gravity, Optional<Box> focus) {
        if (focus.isPresent()) {
            Box f = focus.get();
            int left = (int) Math.round(f.centreX() * imageW - w / 2.0);
            int top = (int) Math.round(f.centreY() * imageH - h / 2.0);
            return new Plan.Cut(Math.max(0, Math.min(imageW - w, left)), Math.max(0, Math.min(imageH - h, top)), w, h,
                    false);
        }
        return new Plan.Cut(offset(imageW - w, horizontal(gravity)), offset(imageH - h, vertical(gravity)), w, h,
                gravity.byContent());
    }

    /** How many times the faces' box a {@code c_thumb} of them shows, at {@code z_1}: the face and what frames it. */
    static final double THUMB_MARGIN = 2.0;

    /** -1 for west/north, 0 for centre, +1 for east/south. */
    private static int horizontal(Gravity g) {
        return switch (g) {
            case WEST, NORTH_WEST, SOUTH_WEST -> -1;
            case EAST, NORTH_EAST, SOUTH_EAST -> 1;
            default -> 0;
        };
    }

    private static int vertical(Gravity g) {
        return switch (g) {
            case NORTH, NORTH_WEST, NORTH_EAST -> -1;
            case SOUTH, SOUTH_WEST, SOUTH_EAST -> 1;
            default -> 0;
        };
    }

    private static int offset(int slack, int side) {
        return side < 0 ? 0 : side > 0 ? slack : slack / 2;
    }

    private static int pixels(Length length, int source) {
        return switch (length) {
            case Length.Pixels p -> p.value();
            case Length.Fraction f -> atLeastOne(f.value() * source);
            case Length.Auto a -> throw new IllegalArgumentException("w_auto must be resolved first");
        };
    }

    private static int atLeastOne(double v) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(v)));
    }

    private static void check(String side, int value, int max) throws RenderException {
        if (value > max) {
            throw new RenderException(400,
                    "requested " + side + " " + value + " exceeds the maximum of " + max + " pixels", "");
        }
    }
}
