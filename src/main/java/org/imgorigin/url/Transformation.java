package org.imgorigin.url;

import java.util.Optional;
import java.util.OptionalInt;
import org.imgorigin.image.ImageFormat;

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
        Optional<Quality> quality,
        Optional<FormatChoice> format,
        Optional<Dpr> dpr,
        OptionalInt blur,
        OptionalInt sharpen,
        boolean grayscale,
        Optional<Angle> angle,
        Optional<Rgb> background,
        boolean progressive,
        boolean attachment) {

    /** The identity transformation: the original, re-encoded only if a format asks for it. */
    public static final Transformation NONE = new Transformation(
            Optional.empty(), Optional.empty(), Crop.SCALE, Gravity.CENTER, Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(),
            OptionalInt.empty(), false, Optional.empty(), Optional.empty(), false, false);

    public Transformation {
        java.util.Objects.requireNonNull(width, "width");
        java.util.Objects.requireNonNull(height, "height");
        java.util.Objects.requireNonNull(crop, "crop");
        java.util.Objects.requireNonNull(gravity, "gravity");
        java.util.Objects.requireNonNull(aspectRatio, "aspectRatio");
        java.util.Objects.requireNonNull(quality, "quality");
        java.util.Objects.requireNonNull(format, "format");
        java.util.Objects.requireNonNull(dpr, "dpr");
        java.util.Objects.requireNonNull(blur, "blur");
        java.util.Objects.requireNonNull(sharpen, "sharpen");
        java.util.Objects.requireNonNull(angle, "angle");
        java.util.Objects.requireNonNull(background, "background");
        // dpr_1.0 is no DPR at all: one canonical form for one variant.
        if (dpr.isPresent() && dpr.get() instanceof Dpr.Fixed f && f.value() == 1.0) {
            dpr = Optional.empty();
        }
    }

    /** True when any part still depends on the request's headers ({@code auto} forms). */
    public boolean needsNegotiation() {
        return width.map(w -> w instanceof Length.Auto).orElse(false)
                || format.map(f -> f instanceof FormatChoice.Auto).orElse(false)
                || dpr.map(d -> d instanceof Dpr.Auto).orElse(false);
    }

    public Transformation withWidth(Optional<Length> w) {
        return new Transformation(w, height, crop, gravity, aspectRatio, quality, format, dpr, blur,
                sharpen, grayscale, angle, background, progressive, attachment);
    }

    public Transformation withFormat(Optional<FormatChoice> f) {
        return new Transformation(width, height, crop, gravity, aspectRatio, quality, f, dpr, blur,
                sharpen, grayscale, angle, background, progressive, attachment);
    }

    public Transformation withDpr(Optional<Dpr> d) {
        return new Transformation(width, height, crop, gravity, aspectRatio, quality, format, d, blur,
                sharpen, grayscale, angle, background, progressive, attachment);
    }

    public Transformation withQuality(Optional<Quality> q) {
        return new Transformation(width, height, crop, gravity, aspectRatio, q, format, dpr, blur,
                sharpen, grayscale, angle, background, progressive, attachment);
    }

    /**
     * The delivery parameters: how the result is encoded and sent ({@code q_}, {@code f_},
     * {@code dpr_}, {@code fl_progressive}, {@code fl_attachment}), as opposed to what its
     * pixels are. {@code dpr_} counts as delivery, as Cloudinary's SDKs write it: it scales the
     * result. In a chain of stages these fold into the final stage ({@link TransformationParser}).
     */
    public static final java.util.List<String> DELIVERY = java.util.List.of("q", "f", "dpr", "fl_progressive",
            "fl_attachment");

    /** Which {@link #DELIVERY} parameters this transformation sets, in that order. */
    public java.util.List<String> deliverySet() {
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
        return set;
    }

    /** True when this sets nothing but {@link #DELIVERY} parameters (and so changes no pixel). */
    public boolean deliveryOnly() {
        return new Transformation(width, height, crop, gravity, aspectRatio, Optional.empty(), Optional.empty(),
                Optional.empty(), blur, sharpen, grayscale, angle, background, false, false).equals(NONE);
    }

    /** This transformation with the {@link #DELIVERY} parameters that {@code other} sets taken from it. */
    public Transformation withDeliveryOf(Transformation other) {
        return new Transformation(width, height, crop, gravity, aspectRatio,
                other.quality.isPresent() ? other.quality : quality,
                other.format.isPresent() ? other.format : format,
                other.dpr.isPresent() ? other.dpr : dpr,
                blur, sharpen, grayscale, angle, background,
                progressive || other.progressive, attachment || other.attachment);
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
        CENTER, NORTH, NORTH_EAST, EAST, SOUTH_EAST, SOUTH, SOUTH_WEST, WEST, NORTH_WEST, AUTO;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
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
