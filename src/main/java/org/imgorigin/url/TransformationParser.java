package org.imgorigin.url;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation.Angle;
import org.imgorigin.url.Transformation.AspectRatio;
import org.imgorigin.url.Transformation.Crop;
import org.imgorigin.url.Transformation.Dpr;
import org.imgorigin.url.Transformation.FormatChoice;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.url.Transformation.Quality;
import org.imgorigin.url.Transformation.Rgb;

/**
 * Reads the transformation segment of an image URL (the README's URL grammar): comma-separated
 * Cloudinary parameters in any order, e.g. {@code c_fill,w_300,h_200,q_auto}.
 *
 * <p>The grammar is strict so that a typo is a 400 rather than a silently different image:
 * names and keyword values are lowercase, numbers are plain ASCII decimals (no sign,
 * exponent, spaces or {@code NaN}), and each parameter appears at most once, whatever the
 * spelling ({@code f_jpg,f_jpeg} is a repeat). Non-canonical but unambiguous spellings
 * ({@code w_0.50}, {@code dpr_2}, {@code q_auto:good}, {@code e_blur:100}, upper-case hex in
 * {@code b_rgb:}, CSS colour names in any case in {@code b_}) are accepted; {@link TransformationPrinter} writes the one canonical form.
 */
public final class TransformationParser {
    /** Bounds the work one request can ask of the parser; real transformations are far shorter. */
    public static final int MAX_LENGTH = 1024;

    /** The strength of {@code e_blur} and {@code e_sharpen} written without {@code :n}. */
    static final int DEFAULT_EFFECT_STRENGTH = 100;

    static final Pattern PRESET_NAME = Pattern.compile("[a-z0-9_-]+");

    private static final Pattern INTEGER = Pattern.compile("[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+\\.[0-9]+");
    private static final Pattern NUMBER = Pattern.compile("[0-9]+(?:\\.[0-9]+)?");
    private static final Pattern HEX6 = Pattern.compile("[0-9a-fA-F]{6}");

    private static final String WIDTH_RULE =
            "width must be a positive integer, a fraction 0.0-1.0 with a decimal point, or auto[:<pixels>]";
    private static final String HEIGHT_RULE =
            "height must be a positive integer or a fraction 0.0-1.0 with a decimal point";
    private static final String EFFECT_RULE = "strength must be an integer 1-2000";

    /** One parameter's parser, by name (the text before the first {@code _}); {@code t_} is apart. */
    private static final Map<String, ValueParser> PARSERS = Map.ofEntries(
            Map.entry("w", TransformationParser::width),
            Map.entry("h", TransformationParser::height),
            Map.entry("c", TransformationParser::crop),
            Map.entry("g", TransformationParser::gravity),
            Map.entry("ar", TransformationParser::aspectRatio),
            Map.entry("q", TransformationParser::quality),
            Map.entry("f", TransformationParser::format),
            Map.entry("dpr", TransformationParser::dpr),
            Map.entry("e", TransformationParser::effect),
            Map.entry("a", TransformationParser::angle),
            Map.entry("b", TransformationParser::background),
            Map.entry("fl", TransformationParser::flag));

    private TransformationParser() {
    }

    /**
     * The transformation a URL segment asks for.
     *
     * <p>{@code t_<name>} starts from the preset's transformation; any parameter written in the
     * segment as well replaces the preset's value for that parameter, wherever it stands
     * ({@code t_thumb,w_300} is the thumb preset at width 300), so a URL can adjust a preset
     * without repeating it. At most one {@code t_} per segment.
     *
     * @throws UrlException naming the first parameter that is unknown, repeated or malformed
     */
    public static Transformation parse(String segment, Presets presets) {
        Objects.requireNonNull(presets, "presets");
        return parse(segment, Optional.of(presets));
    }

    /** At most this many {@code /}-separated stages in one URL. */
    public static final int MAX_STAGES = 10;

    /**
     * A chain of stages, {@code a/b/c}, as Cloudinary's URLs write them, folded into one
     * transformation: stages that change nothing ({@code c_scale}, {@code dpr_1.0}) vanish,
     * delivery-only stages ({@link Transformation#DELIVERY}: {@code f_auto}, {@code q_auto},
     * {@code dpr_2.0}, {@code fl_progressive}) fold into the final one, and what is left must be
     * at most one stage that changes pixels. A delivery parameter given in two stages is a
     * repeat. Chaining pixel stages (one working on the result of another) is not supported
     * yet: that is a 400 naming the stages, never a render of something else.
     *
     * @throws UrlException for more than {@link #MAX_STAGES} stages, a bad stage, a repeat, a
     *                      second pixel stage, or a canonical form over {@link #MAX_LENGTH}
     */
    public static Transformation parseStages(List<String> stages, Presets presets) {
        Objects.requireNonNull(stages, "stages");
        Objects.requireNonNull(presets, "presets");
        if (stages.size() == 1) {
            return parse(stages.getFirst(), presets);
        }
        if (stages.size() > MAX_STAGES) {
            throw UrlException.invalidPart("transformation", String.join("/", stages),
                    "at most " + MAX_STAGES + " stages, got " + stages.size());
        }
        List<String> pixelStages = new ArrayList<>();
        Transformation pixels = Transformation.NONE;
        Transformation delivery = Transformation.NONE;
        Map<String, String> deliveredBy = new HashMap<>();
        for (String stage : stages) {
            Transformation t = parse(stage, presets);
            for (String key : t.deliverySet()) {
                String earlier = deliveredBy.putIfAbsent(key, stage);
                if (earlier != null) {
                    throw new UrlException(written(stage, key), "repeated parameter: '" + (key.startsWith("fl_") ? key : key + "_") + "' is given in stage '"
                            + UrlException.echo(earlier) + "' and in stage '" + UrlException.echo(stage) + "'");
                }
            }
            delivery = delivery.withDeliveryOf(t);
            if (!t.deliveryOnly()) {
                pixelStages.add(stage);
                pixels = t;
            }
        }
        if (pixelStages.size() > 1) {
            StringBuilder named = new StringBuilder();
            for (String stage : pixelStages) {
                named.append(named.isEmpty() ? "" : ", ").append('\'').append(UrlException.echo(stage)).append('\'');
            }
            throw new UrlException("transformation", "chained pixel transformations are not supported yet: "
                    + "the stages " + named + " each change pixels; only one stage may, with any number "
                    + "of delivery-only stages (f_, q_, dpr_, fl_progressive, fl_attachment)");
        }
        Transformation folded = pixels.withDeliveryOf(delivery);
        if (TransformationPrinter.print(folded).length() > MAX_LENGTH) {
            throw new UrlException("transformation",
                    "invalid transformation: its canonical form is longer than " + MAX_LENGTH + " characters");
        }
        return folded;
    }

    /** The parameter of {@code stage} that sets {@code key} as written; the stage when a preset sets it. */
    private static String written(String stage, String key) {
        for (String param : stage.split(",", -1)) {
            if (key.startsWith("fl_") ? param.equals(key) : param.startsWith(key + "_")) {
                return param;
            }
        }
        return stage;
    }

    /** A preset's body: the same grammar, but a preset may not use another preset. */
    static Transformation parsePresetBody(String body) {
        return parse(body, Optional.empty());
    }

    private static Transformation parse(String segment, Optional<Presets> presets) {
        Objects.requireNonNull(segment, "segment");
        if (segment.length() > MAX_LENGTH) {
            throw new UrlException("transformation",
                    "invalid transformation: longer than " + MAX_LENGTH + " characters");
        }
        if (segment.isEmpty()) {
            throw new UrlException("transformation", "invalid transformation: it is empty");
        }
        Transformation base = Transformation.NONE;
        Map<String, String> seen = new HashMap<>();
        List<Setting> settings = new ArrayList<>();
        for (String param : segment.split(",", -1)) {
            if (param.isEmpty()) {
                throw new UrlException("", "invalid transformation '" + UrlException.echo(segment)
                        + "': empty parameter (two commas in a row, or a comma at an end)");
            }
            int underscore = param.indexOf('_');
            String name = underscore < 0 ? param : param.substring(0, underscore);
            String value = underscore < 0 ? "" : param.substring(underscore + 1);
            Setting setting;
            if (name.equals("t") && underscore > 0) {
                base = preset(param, value, presets);
                setting = new Setting("t", draft -> { });
            } else {
                ValueParser parser = underscore > 0 ? PARSERS.get(name) : null;
                if (parser == null) {
                    throw new UrlException(param, "unknown parameter '" + UrlException.echo(param) + "'");
                }
                setting = parser.parse(param, value);
            }
            String earlier = seen.putIfAbsent(setting.key(), param);
            if (earlier != null) {
                throw new UrlException(param, "repeated parameter '" + UrlException.echo(param)
                        + "' (already given as '" + UrlException.echo(earlier) + "')");
            }
            settings.add(setting);
        }
        // Explicit parameters are applied over the preset, so they win whatever their position.
        Draft draft = new Draft(base);
        settings.forEach(s -> s.apply().accept(draft));
        Transformation transformation = draft.build();
        // The canonical form can be longer than what was written (dpr_2 prints as dpr_2.0, a
        // preset prints expanded); past the limit it would not parse back, and the parser and
        // printer would no longer be inverses.
        if (TransformationPrinter.print(transformation).length() > MAX_LENGTH) {
            throw new UrlException("transformation",
                    "invalid transformation: its canonical form is longer than " + MAX_LENGTH + " characters");
        }
        return transformation;
    }

    private static Transformation preset(String param, String name, Optional<Presets> presets) {
        if (presets.isEmpty()) {
            throw UrlException.invalidParameter(param, "a preset may not use another preset");
        }
        if (!PRESET_NAME.matcher(name).matches()) {
            throw UrlException.invalidParameter(param, "a preset name is lowercase letters, digits, '_' and '-'");
        }
        return presets.get().get(name).orElseThrow(() ->
                new UrlException(param, "unknown preset '" + UrlException.echo(name) + "' in '"
                        + UrlException.echo(param) + "'"));
    }

    // ---- one method per parameter -------------------------------------------------------

    private static Setting width(String param, String value) {
        if (value.equals("auto")) {
            return set("w", d -> d.width = Optional.of(new Length.Auto(OptionalInt.empty())));
        }
        if (value.startsWith("auto:")) {
            int fallback = positiveInt(value.substring("auto:".length()))
                    .orElseThrow(() -> UrlException.invalidParameter(param,
                            "the fallback of w_auto:<pixels> must be a positive integer"));
            return set("w", d -> d.width = Optional.of(new Length.Auto(OptionalInt.of(fallback))));
        }
        Length length = length(value).orElseThrow(() -> UrlException.invalidParameter(param, WIDTH_RULE));
        return set("w", d -> d.width = Optional.of(length));
    }

    private static Setting height(String param, String value) {
        Length length = length(value).orElseThrow(() -> UrlException.invalidParameter(param,
                value.startsWith("auto") ? HEIGHT_RULE + " (auto is for width only)" : HEIGHT_RULE));
        return set("h", d -> d.height = Optional.of(length));
    }

    /** Pixels when written as an integer, a fraction of the source when written with a point. */
    private static Optional<Length> length(String value) {
        if (DECIMAL.matcher(value).matches()) {
            double fraction = Double.parseDouble(value);
            return fraction > 0.0 && fraction <= 1.0 ? Optional.of(new Length.Fraction(fraction)) : Optional.empty();
        }
        OptionalInt pixels = positiveInt(value);
        return pixels.isPresent() ? Optional.of(new Length.Pixels(pixels.getAsInt())) : Optional.empty();
    }

    private static Setting crop(String param, String value) {
        for (Crop crop : Crop.values()) {
            if (crop.code().equals(value)) {
                return set("c", d -> d.crop = crop);
            }
        }
        throw UrlException.invalidParameter(param,
                "crop mode must be one of scale, fit, limit, fill, lfill, pad, lpad, crop, thumb");
    }

    private static Setting gravity(String param, String value) {
        for (Gravity gravity : Gravity.values()) {
            if (gravity.code().equals(value)) {
                return set("g", d -> d.gravity = gravity);
            }
        }
        throw UrlException.invalidParameter(param, "gravity must be one of center, north, north_east, east, "
                + "south_east, south, south_west, west, north_west, auto");
    }

    private static Setting aspectRatio(String param, String value) {
        String rule = "aspect ratio must be <width>:<height> or a decimal, both positive (16:9, 1.5)";
        int colon = value.indexOf(':');
        AspectRatio ratio;
        if (colon >= 0) {
            double width = positiveNumber(value.substring(0, colon))
                    .orElseThrow(() -> UrlException.invalidParameter(param, rule));
            double height = positiveNumber(value.substring(colon + 1))
                    .orElseThrow(() -> UrlException.invalidParameter(param, rule));
            ratio = new AspectRatio(width, height, true);
        } else {
            double decimal = positiveNumber(value).orElseThrow(() -> UrlException.invalidParameter(param, rule));
            ratio = new AspectRatio(decimal, 1.0, false);
        }
        return set("ar", d -> d.aspectRatio = Optional.of(ratio));
    }

    private static Setting quality(String param, String value) {
        Quality quality;
        if (value.equals("auto")) {
            quality = new Quality.Auto(Quality.Level.GOOD);
        } else if (value.startsWith("auto:")) {
            String level = value.substring("auto:".length());
            quality = new Quality.Auto(java.util.Arrays.stream(Quality.Level.values())
                    .filter(l -> l.code().equals(level)).findFirst()
                    .orElseThrow(() -> UrlException.invalidParameter(param,
                            "quality level must be one of best, good, eco, low")));
        } else {
            int fixed = positiveInt(value).stream().filter(q -> q <= 100).findFirst()
                    .orElseThrow(() -> UrlException.invalidParameter(param,
                            "quality must be an integer 1-100, auto or auto:best|good|eco|low"));
            quality = new Quality.Fixed(fixed);
        }
        return set("q", d -> d.quality = Optional.of(quality));
    }

    private static Setting format(String param, String value) {
        FormatChoice format;
        if (value.equals("auto")) {
            format = new FormatChoice.Auto();
        } else {
            // ofExtension ignores case; the URL grammar does not.
            Optional<ImageFormat> fixed = value.equals(value.toLowerCase(java.util.Locale.ROOT))
                    ? ImageFormat.ofExtension(value) : Optional.empty();
            format = new FormatChoice.Fixed(fixed.orElseThrow(() -> UrlException.invalidParameter(param,
                    "format must be one of jpg, jpeg, png, webp, avif, gif, jxl, auto")));
        }
        return set("f", d -> d.format = Optional.of(format));
    }

    private static Setting dpr(String param, String value) {
        Dpr dpr;
        if (value.equals("auto")) {
            dpr = new Dpr.Auto();
        } else {
            double fixed = positiveNumber(value).stream().filter(v -> v >= 1.0 && v <= 4.0).findFirst()
                    .orElseThrow(() -> UrlException.invalidParameter(param,
                            "device pixel ratio must be a number 1.0-4.0 or auto"));
            dpr = new Dpr.Fixed(fixed);
        }
        return set("dpr", d -> d.dpr = Optional.of(dpr));
    }

    private static Setting effect(String param, String value) {
        int colon = value.indexOf(':');
        String effect = colon < 0 ? value : value.substring(0, colon);
        Optional<String> argument = colon < 0 ? Optional.empty() : Optional.of(value.substring(colon + 1));
        return switch (effect) {
            case "blur" -> {
                int strength = strength(param, argument);
                yield set("e_blur", d -> d.blur = OptionalInt.of(strength));
            }
            case "sharpen" -> {
                int strength = strength(param, argument);
                yield set("e_sharpen", d -> d.sharpen = OptionalInt.of(strength));
            }
            case "grayscale" -> {
                if (argument.isPresent()) {
                    throw UrlException.invalidParameter(param, "e_grayscale takes no value");
                }
                yield set("e_grayscale", d -> d.grayscale = true);
            }
            default -> throw new UrlException(param, "unknown parameter '" + UrlException.echo(param)
                    + "': effects are e_blur[:n], e_sharpen[:n], e_grayscale");
        };
    }

    private static int strength(String param, Optional<String> argument) {
        if (argument.isEmpty()) {
            return DEFAULT_EFFECT_STRENGTH;
        }
        return positiveInt(argument.get()).stream().filter(n -> n <= 2000).findFirst()
                .orElseThrow(() -> UrlException.invalidParameter(param, EFFECT_RULE));
    }

    private static Setting angle(String param, String value) {
        for (Angle angle : Angle.values()) {
            if (angle.code().equals(value)) {
                return set("a", d -> d.angle = Optional.of(angle));
            }
        }
        throw UrlException.invalidParameter(param, "angle must be one of 90, 180, 270, hflip, vflip, ignore");
    }

    /** {@code b_rgb:RRGGBB} or a CSS colour name in any case ({@link CssColours}); both print as rgb:. */
    private static Setting background(String param, String value) {
        Rgb colour;
        if (value.startsWith("rgb:")) {
            String hex = value.substring("rgb:".length());
            if (!HEX6.matcher(hex).matches()) {
                throw UrlException.invalidParameter(param, "background must be rgb:RRGGBB (six hex digits)");
            }
            int rgb = Integer.parseInt(hex, 16);
            colour = new Rgb(rgb >> 16, (rgb >> 8) & 0xFF, rgb & 0xFF);
        } else {
            colour = CssColours.named(value).orElseThrow(() -> UrlException.invalidParameter(param,
                    "background must be rgb:RRGGBB (six hex digits) or a CSS colour name (black, rebeccapurple, ...)"));
        }
        return set("b", d -> d.background = Optional.of(colour));
    }

    private static Setting flag(String param, String value) {
        return switch (value) {
            case "progressive" -> set("fl_progressive", d -> d.progressive = true);
            case "attachment" -> set("fl_attachment", d -> d.attachment = true);
            default -> throw new UrlException(param, "unknown parameter '" + UrlException.echo(param)
                    + "': flags are fl_progressive, fl_attachment");
        };
    }

    // ---- numbers ------------------------------------------------------------------------

    /** ASCII digits with a value of at least 1 that fits an int; leading zeros are harmless. */
    private static OptionalInt positiveInt(String text) {
        if (!INTEGER.matcher(text).matches()) {
            return OptionalInt.empty();
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            value = value * 10 + (text.charAt(i) - '0');
            if (value > Integer.MAX_VALUE) {
                return OptionalInt.empty();
            }
        }
        return value >= 1 ? OptionalInt.of((int) value) : OptionalInt.empty();
    }

    /**
     * A plain decimal ({@code 2}, {@code 1.5}) that is positive and finite. The pattern comes
     * first because {@link Double#parseDouble} also takes {@code NaN}, {@code 1e3}, {@code +1},
     * {@code 0x1p3}, {@code 1d} and surrounding spaces.
     */
    private static Optional<Double> positiveNumber(String text) {
        if (!NUMBER.matcher(text).matches()) {
            return Optional.empty();
        }
        double value = Double.parseDouble(text);
        return value > 0.0 && Double.isFinite(value) ? Optional.of(value) : Optional.empty();
    }

    private static Setting set(String key, Consumer<Draft> apply) {
        return new Setting(key, apply);
    }

    @FunctionalInterface
    private interface ValueParser {
        Setting parse(String param, String value);
    }

    /**
     * One parsed parameter: {@code key} identifies it whatever its spelling (for repeat
     * detection), {@code apply} writes its value into the draft.
     */
    private record Setting(String key, Consumer<Draft> apply) {
    }

    /** The transformation being assembled; mutable only inside one parse. */
    private static final class Draft {
        Optional<Length> width;
        Optional<Length> height;
        Crop crop;
        Gravity gravity;
        Optional<AspectRatio> aspectRatio;
        Optional<Quality> quality;
        Optional<FormatChoice> format;
        Optional<Dpr> dpr;
        OptionalInt blur;
        OptionalInt sharpen;
        boolean grayscale;
        Optional<Angle> angle;
        Optional<Rgb> background;
        boolean progressive;
        boolean attachment;

        Draft(Transformation t) {
            width = t.width();
            height = t.height();
            crop = t.crop();
            gravity = t.gravity();
            aspectRatio = t.aspectRatio();
            quality = t.quality();
            format = t.format();
            dpr = t.dpr();
            blur = t.blur();
            sharpen = t.sharpen();
            grayscale = t.grayscale();
            angle = t.angle();
            background = t.background();
            progressive = t.progressive();
            attachment = t.attachment();
        }

        Transformation build() {
            return new Transformation(width, height, crop, gravity, aspectRatio, quality, format, dpr, blur,
                    sharpen, grayscale, angle, background, progressive, attachment);
        }
    }
}
