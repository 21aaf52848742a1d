package org.imgorigin.url;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;

/**
 * One transformation of an original, as the URL grammar of the README's URL grammar describes it.
 *
 * <p>An immutable value: two transformations that mean the same thing are {@code equal}
 * and print the same canonical string ({@link TransformationPrinter}), so equivalent URLs
 * are one variant. Defaults are represented by their value ({@link Crop#SCALE},
 * {@link Gravity#CENTER}), absent options by empty optionals; {@code null} is never a value.
 */
public record Transformation(
        Optional<Length> width,
        Optional<Length> height,
        Crop crop,
        Gravity gravity,
        Optional<AspectRatio> aspectRatio,
        Optional<Offset> x,
        Optional<Offset> y,
        Optional<Double> zoom,
        Effects effects,
        Optional<Angle> angle,
        Optional<Rgb> background,
        Optional<Radius> radius,
        Optional<Border> border,
        OptionalInt opacity,
        Optional<Quality> quality,
        Optional<FormatChoice> format,
        Optional<Dpr> dpr,
        boolean progressive,
        boolean attachment,
        OptionalInt page,
        Optional<ImageId> defaultImage,
        Optional<Layer> layer,
        List<Transformation> before) {

    /** The identity transformation: the original, re-encoded only if a format asks for it. */
    public static final Transformation NONE = new Builder().build();

    /**
     * The parameters that concern the whole request rather than one stage's pixels: how the
     * result is encoded and sent ({@code q_}, {@code f_}, {@code dpr_}, {@code fl_progressive},
     * {@code fl_attachment}), which frame of the source is read ({@code pg_}) and what answers
     * when the source is missing ({@code d_}). {@code dpr_} counts here, as Cloudinary's SDKs
     * write it: it scales every stage's sizes. In a chain of stages these fold into the final
     * stage ({@link TransformationParser#parseStages}).
     */
    public static final List<String> DELIVERY = List.of("q", "f", "dpr", "fl_progressive", "fl_attachment", "pg", "d");

    public Transformation {
        java.util.Objects.requireNonNull(width, "width");
        java.util.Objects.requireNonNull(height, "height");
        java.util.Objects.requireNonNull(crop, "crop");
        java.util.Objects.requireNonNull(gravity, "gravity");
        java.util.Objects.requireNonNull(aspectRatio, "aspectRatio");
        java.util.Objects.requireNonNull(x, "x");
        java.util.Objects.requireNonNull(y, "y");
        java.util.Objects.requireNonNull(zoom, "zoom");
        java.util.Objects.requireNonNull(effects, "effects");
        java.util.Objects.requireNonNull(angle, "angle");
        java.util.Objects.requireNonNull(background, "background");
        java.util.Objects.requireNonNull(radius, "radius");
        java.util.Objects.requireNonNull(border, "border");
        java.util.Objects.requireNonNull(opacity, "opacity");
        java.util.Objects.requireNonNull(quality, "quality");
        java.util.Objects.requireNonNull(format, "format");
        java.util.Objects.requireNonNull(dpr, "dpr");
        java.util.Objects.requireNonNull(page, "page");
        java.util.Objects.requireNonNull(defaultImage, "defaultImage");
        java.util.Objects.requireNonNull(layer, "layer");
        before = List.copyOf(before);
        // No-ops vanish, so that equivalent URLs are one variant: dpr_1.0, z_1.0, o_100.
        if (dpr.isPresent() && dpr.get() instanceof Dpr.Fixed f && f.value() == 1.0) {
            dpr = Optional.empty();
        }
        if (zoom.isPresent() && zoom.get() == 1.0) {
            zoom = Optional.empty();
        }
        if (opacity.isPresent() && opacity.getAsInt() == 100) {
            opacity = OptionalInt.empty();
        }
        for (Transformation stage : before) {
            if (!stage.before.isEmpty() || !stage.deliverySet().isEmpty() || stage.needsNegotiation()) {
                throw new IllegalArgumentException("an earlier stage sets only its own pixels: " + stage);
            }
        }
        if (layer.isPresent() && (width.isPresent() || height.isPresent() || crop != Crop.SCALE
                || gravity != Gravity.CENTER || aspectRatio.isPresent() || x.isPresent() || y.isPresent()
                || zoom.isPresent() || !effects.equals(Effects.NONE) || angle.isPresent() || background.isPresent()
                || radius.isPresent() || border.isPresent() || opacity.isPresent())) {
            throw new IllegalArgumentException("a stage that draws a layer changes nothing else: " + layer.get());
        }
    }

    /** Every stored image the stages draw as layers, each once, in order (the image itself not among them). */
    public List<ImageId> layerImages() {
        if (before.isEmpty() && layer.isEmpty()) {
            return List.of();
        }
        var ids = new java.util.LinkedHashSet<ImageId>();
        for (Transformation stage : stages()) {
            stage.layer.flatMap(Layer::image).ifPresent(ids::add);
        }
        return List.copyOf(ids);
    }

    /** True when any part still depends on the request's headers ({@code auto} forms). */
    public boolean needsNegotiation() {
        return width.map(w -> w instanceof Length.Auto).orElse(false)
                || format.map(f -> f instanceof FormatChoice.Auto).orElse(false)
                || dpr.map(d -> d instanceof Dpr.Auto).orElse(false);
    }

    /** Every stage in the order it is applied: {@link #before}, then this one. */
    public List<Transformation> stages() {
        if (before.isEmpty()) {
            return List.of(this);
        }
        var all = new java.util.ArrayList<Transformation>(before);
        all.add(this);
        return all;
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public Transformation withWidth(Optional<Length> w) {
        return toBuilder().width(w).build();
    }

    public Transformation withFormat(Optional<FormatChoice> f) {
        return toBuilder().format(f).build();
    }

    public Transformation withDpr(Optional<Dpr> d) {
        return toBuilder().dpr(d).build();
    }

    public Transformation withQuality(Optional<Quality> q) {
        return toBuilder().quality(q).build();
    }

    /** The same request without {@code d_}: what is rendered from the default image itself. */
    public Transformation withoutDefaultImage() {
        return defaultImage.isEmpty() ? this : toBuilder().defaultImage(Optional.empty()).build();
    }

    /** Which {@link #DELIVERY} parameters this transformation sets, in that order. */
    public List<String> deliverySet() {
        var set = new java.util.ArrayList<String>();
        if (quality.isPresent()) {
            set.add("q");
        }
        if (format.isPresent()) {
            set.add("f");
        }
        if (dpr.isPresent()) {
            set.add("dpr");
        }
        if (progressive) {
            set.add("fl_progressive");
        }
        if (attachment) {
            set.add("fl_attachment");
        }
        if (page.isPresent()) {
            set.add("pg");
        }
        if (defaultImage.isPresent()) {
            set.add("d");
        }
        return set;
    }

    /** This stage's pixel parameters only: {@link #DELIVERY} and {@link #before} left out. */
    public Transformation pixelsOnly() {
        Builder b = toBuilder();
        b.quality = Optional.empty();
        b.format = Optional.empty();
        b.dpr = Optional.empty();
        b.progressive = false;
        b.attachment = false;
        b.page = OptionalInt.empty();
        b.defaultImage = Optional.empty();
        b.before = List.of();
        return b.build();
    }

    /** True when this sets nothing but {@link #DELIVERY} parameters (and so changes no pixel). */
    public boolean deliveryOnly() {
        return pixelsOnly().equals(NONE);
    }

    /** This transformation with the {@link #DELIVERY} parameters that {@code other} sets taken from it. */
    public Transformation withDeliveryOf(Transformation other) {
        Builder b = toBuilder();
        other.quality.ifPresent(q -> b.quality = Optional.of(q));
        other.format.ifPresent(f -> b.format = Optional.of(f));
        other.dpr.ifPresent(d -> b.dpr = Optional.of(d));
        b.progressive |= other.progressive;
        b.attachment |= other.attachment;
        other.page.ifPresent(p -> b.page = OptionalInt.of(p));
        other.defaultImage.ifPresent(d -> b.defaultImage = Optional.of(d));
        return b.build();
    }

    /** This stage preceded by {@code earlier} stages (each {@link #pixelsOnly()}). */
    public Transformation after(List<Transformation> earlier) {
        Builder b = toBuilder();
        b.before = earlier;
        return b.build();
    }

    /** {@code x_}/{@code y_}: a position in the source, in pixels or as a fraction of its size. */
    public sealed interface Offset {
        /** Whole pixels, at least 0. */
        record Pixels(int value) implements Offset {
            public Pixels {
                if (value < 0) {
                    throw new IllegalArgumentException("offset must not be negative: " + value);
                }
            }
        }

        /** A fraction of the source dimension, in (0, 1]; none is {@code Pixels(0)}. */
        record Fraction(double value) implements Offset {
            public Fraction {
                if (!(value > 0.0 && value <= 1.0)) {
                    throw new IllegalArgumentException("fraction must be in (0, 1]: " + value);
                }
            }
        }
    }

    /** {@code r_<pixels>} rounded corners, or {@code r_max}: a circle or ellipse. */
    public sealed interface Radius {
        record Pixels(int value) implements Radius {
            public Pixels {
                if (value < 1) {
                    throw new IllegalArgumentException("radius must be at least 1: " + value);
                }
            }
        }

        record Max() implements Radius {
        }
    }

    /** {@code bo_<width>px_solid_<colour>}: a solid border around the image, following its corners. */
    public record Border(int width, Rgb colour) {
        public Border {
            if (width < 1) {
                throw new IllegalArgumentException("border width must be at least 1: " + width);
            }
            java.util.Objects.requireNonNull(colour, "colour");
        }
    }

    /**
     * The transformation being assembled, field by field; defaults as in {@link #NONE}.
     * Mutable, and confined to the parse or the method that made it.
     */
    public static final class Builder {
        Optional<Length> width = Optional.empty();
        Optional<Length> height = Optional.empty();
        Crop crop = Crop.SCALE;
        Gravity gravity = Gravity.CENTER;
        Optional<AspectRatio> aspectRatio = Optional.empty();
        Optional<Offset> x = Optional.empty();
        Optional<Offset> y = Optional.empty();
        Optional<Double> zoom = Optional.empty();
        Effects effects = Effects.NONE;
        Optional<Angle> angle = Optional.empty();
        Optional<Rgb> background = Optional.empty();
        Optional<Radius> radius = Optional.empty();
        Optional<Border> border = Optional.empty();
        OptionalInt opacity = OptionalInt.empty();
        Optional<Quality> quality = Optional.empty();
        Optional<FormatChoice> format = Optional.empty();
        Optional<Dpr> dpr = Optional.empty();
        boolean progressive;
        boolean attachment;
        OptionalInt page = OptionalInt.empty();
        Optional<ImageId> defaultImage = Optional.empty();
        Optional<Layer> layer = Optional.empty();
        List<Transformation> before = List.of();

        public Builder() {
        }

        Builder(Transformation t) {
            width = t.width;
            height = t.height;
            crop = t.crop;
            gravity = t.gravity;
            aspectRatio = t.aspectRatio;
            x = t.x;
            y = t.y;
            zoom = t.zoom;
            effects = t.effects;
            angle = t.angle;
            background = t.background;
            radius = t.radius;
            border = t.border;
            opacity = t.opacity;
            quality = t.quality;
            format = t.format;
            dpr = t.dpr;
            progressive = t.progressive;
            attachment = t.attachment;
            page = t.page;
            defaultImage = t.defaultImage;
            layer = t.layer;
            before = t.before;
        }

        public Builder width(Optional<Length> value) {
            width = value;
            return this;
        }

        public Builder height(Optional<Length> value) {
            height = value;
            return this;
        }

        public Builder format(Optional<FormatChoice> value) {
            format = value;
            return this;
        }

        public Builder quality(Optional<Quality> value) {
            quality = value;
            return this;
        }

        public Builder dpr(Optional<Dpr> value) {
            dpr = value;
            return this;
        }

        public Builder defaultImage(Optional<ImageId> value) {
            defaultImage = value;
            return this;
        }

        public Builder layer(Optional<Layer> value) {
            layer = value;
            return this;
        }

        public Builder effect(Effect effect, int value) {
            effects = effects.with(effect, value);
            return this;
        }

        public Transformation build() {
            return new Transformation(width, height, crop, gravity, aspectRatio, x, y, zoom, effects, angle,
                    background, radius, border, opacity, quality, format, dpr, progressive, attachment, page,
                    defaultImage, layer, before);
        }
    }

    /** A width or height: pixels, a fraction of the source, or (width only) from client hints. */
    public sealed interface Length {
        /** An absolute size in pixels, at least 1. */
        record Pixels(int value) implements Length {
            public Pixels {
                if (value < 1) {
                    throw new IllegalArgumentException("pixels must be at least 1: " + value);
                }
            }
        }

        /** A fraction of the source dimension, in (0, 1]. */
        record Fraction(double value) implements Length {
            public Fraction {
                if (!(value > 0.0 && value <= 1.0)) {
                    throw new IllegalArgumentException("fraction must be in (0, 1]: " + value);
                }
            }
        }

        /** {@code w_auto[:fallback]}: the width the client hints, else the fallback, else the source's. */
        record Auto(OptionalInt fallback) implements Length {
            public Auto {
                java.util.Objects.requireNonNull(fallback, "fallback");
            }
        }
    }

    /** {@code c_}: how the image is fitted to the requested box. */
    public enum Crop {
        SCALE, FIT, LIMIT, FILL, LFILL, PAD, LPAD, CROP, THUMB;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** {@code g_}: which part of the image survives a crop, or where a pad places it. */
    public enum Gravity {
        CENTER, NORTH, NORTH_EAST, EAST, SOUTH_EAST, SOUTH, SOUTH_WEST, WEST, NORTH_WEST, AUTO,
        /** The largest detected face; saliency ({@link #AUTO}) when none is found. */
        FACE,
        /** Every detected face; saliency ({@link #AUTO}) when none is found. */
        FACES;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Placed by what the image shows (saliency or faces), not by a side: a whole image is looked at. */
        public boolean byContent() {
            return this == AUTO || this == FACE || this == FACES;
        }
    }

    /**
     * {@code ar_}: width over height, written {@code 16:9} or {@code 1.5}. The written form is
     * kept for printing; {@code ratio()} is what it means.
     */
    public record AspectRatio(double width, double height, boolean colonForm) {
        public AspectRatio {
            if (!(width > 0 && height > 0) || Double.isInfinite(width) || Double.isInfinite(height)) {
                throw new IllegalArgumentException("aspect ratio must be positive");
            }
        }

        public double ratio() {
            return width / height;
        }
    }

    /** {@code q_}: a fixed quality, or a level picked per output format. */
    public sealed interface Quality {
        record Fixed(int value) implements Quality {
            public Fixed {
                if (value < 1 || value > 100) {
                    throw new IllegalArgumentException("quality must be 1-100: " + value);
                }
            }
        }

        record Auto(Level level) implements Quality {
            public Auto {
                java.util.Objects.requireNonNull(level, "level");
            }
        }

        /** {@code q_auto:<level>}; plain {@code q_auto} is {@link #GOOD}. */
        enum Level {
            BEST, GOOD, ECO, LOW;

            public String code() {
                return name().toLowerCase(java.util.Locale.ROOT);
            }
        }
    }

    /** {@code f_}: a fixed output format, or one negotiated from {@code Accept}. */
    public sealed interface FormatChoice {
        record Fixed(ImageFormat format) implements FormatChoice {
            public Fixed {
                if (!format.writable()) {
                    throw new IllegalArgumentException("not an output format: " + format);
                }
            }
        }

        record Auto() implements FormatChoice {
        }
    }

    /** {@code dpr_}: a fixed device pixel ratio in [1, 4], or one from client hints. */
    public sealed interface Dpr {
        record Fixed(double value) implements Dpr {
            public Fixed {
                if (!(value >= 1.0 && value <= 4.0)) {
                    throw new IllegalArgumentException("dpr must be 1.0-4.0: " + value);
                }
            }
        }

        record Auto() implements Dpr {
        }
    }

    /** {@code a_}: a rotation or flip applied after resizing, or {@code ignore} to skip EXIF orientation. */
    public enum Angle {
        R90("90"), R180("180"), R270("270"), HFLIP("hflip"), VFLIP("vflip"), IGNORE("ignore");

        private final String code;

        Angle(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** {@code b_rgb:RRGGBB}. */
    public record Rgb(int red, int green, int blue) {
        public static final Rgb WHITE = new Rgb(255, 255, 255);

        public Rgb {
            if ((red | green | blue) < 0 || red > 255 || green > 255 || blue > 255) {
                throw new IllegalArgumentException("colour channel out of range");
            }
        }

        public String hex() {
            return String.format("%02x%02x%02x", red, green, blue);
        }
    }
}
