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
import org.imgorigin.image.ImageId;
import org.imgorigin.url.Transformation.Angle;
import org.imgorigin.url.Transformation.AspectRatio;
import org.imgorigin.url.Transformation.Border;
import org.imgorigin.url.Transformation.Crop;
import org.imgorigin.url.Transformation.Dpr;
import org.imgorigin.url.Transformation.FormatChoice;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.url.Transformation.Offset;
import org.imgorigin.url.Transformation.Quality;
import org.imgorigin.url.Transformation.Radius;
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

    static final Pattern PRESET_NAME = Pattern.compile("[a-z0-9_-]+");

    private static final Pattern INTEGER = Pattern.compile("[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+\\.[0-9]+");
    private static final Pattern NUMBER = Pattern.compile("[0-9]+(?:\\.[0-9]+)?");
    private static final Pattern HEX6 = Pattern.compile("[0-9a-fA-F]{6}");

    private static final String WIDTH_RULE =
            "width must be a positive integer, a fraction 0.0-1.0 with a decimal point, or auto[:<pixels>]";
    private static final String HEIGHT_RULE =
            "height must be a positive integer or a fraction 0.0-1.0 with a decimal point";

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
            Map.entry("co", TransformationParser::colour),
            Map.entry("fl", TransformationParser::flag),
            Map.entry("x", TransformationParser::x),
            Map.entry("y", TransformationParser::y),
            Map.entry("z", TransformationParser::zoom),
            Map.entry("r", TransformationParser::radius),
            Map.entry("bo", TransformationParser::border),
            Map.entry("o", TransformationParser::opacity),
            Map.entry("pg", TransformationParser::page),
            Map.entry("d", TransformationParser::defaultImage));

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
     * A chain of stages, {@code a/b/c}, as Cloudinary's URLs write them: each stage works on the
     * result of the one before. Stages that change nothing ({@code c_scale}, {@code dpr_1.0})
     * vanish, and the request-wide parameters ({@link Transformation#DELIVERY}: {@code f_auto},
     * {@code q_auto}, {@code dpr_2.0}, {@code pg_}, {@code d_}, ...) fold into the final stage,
     * wherever they were written; a request-wide parameter given in two stages is a repeat. The
     * result is the last stage that changes pixels, with the earlier ones as its
     * {@link Transformation#before}.
     *
     * @throws UrlException for more than {@link #MAX_STAGES} stages, a bad stage, a repeat,
     *                      {@code w_auto} before the last stage, or a canonical form over
     *                      {@link #MAX_LENGTH}
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
        List<Transformation> pixelStages = new ArrayList<>();
        List<String> written = new ArrayList<>();
        Transformation delivery = Transformation.NONE;
        Map<String, String> deliveredBy = new HashMap<>();
        List<String> grouped = LayerParser.groupLayers(stages);
        for (String stage : grouped) {
            Transformation t = LayerParser.parseGroup(stage, presets);
            for (String key : t.deliverySet()) {
                String earlier = deliveredBy.putIfAbsent(key, stage);
                if (earlier != null) {
                    throw new UrlException(written(stage, key), "repeated parameter: '" + (key.startsWith("fl_") ? key : key + "_") + "' is given in stage '"
                            + UrlException.echo(earlier) + "' and in stage '" + UrlException.echo(stage) + "'");
                }
            }
            delivery = delivery.withDeliveryOf(t);
            Transformation pixels = t.pixelsOnly();
            if (!pixels.equals(Transformation.NONE)) {
                pixelStages.add(pixels);
                written.add(stage);
            }
        }
        for (int i = 1; i < pixelStages.size(); i++) {
            if (pixelStages.get(i).angle().filter(a -> a == Transformation.Angle.IGNORE).isPresent()) {
                throw new UrlException("a_ignore", "invalid transformation: a_ignore in stage '"
                        + UrlException.echo(written.get(i)) + "': it says how the original is read, so it belongs "
                        + "to the first stage");
            }
        }
        List<String> heavy = new ArrayList<>();
        int layers = 0;
        for (int i = 0; i < pixelStages.size(); i++) {
            Transformation stage = pixelStages.get(i);
            if (stage.layer().isPresent()) {
                layers++;
                // Each of a layer's stages that holds or convolves a whole image counts.
                for (Transformation own : stage.layer().get().stages()) {
                    if (heavy(own, true)) {
                        heavy.add(written.get(i));
                    }
                }
            } else if (heavy(stage, i == 0)) {
                heavy.add(written.get(i));
            }
        }
        if (layers > Layer.MAX_LAYERS) {
            throw new UrlException("l", "invalid transformation: at most " + Layer.MAX_LAYERS
                    + " layers (l_) in one URL, got " + layers);
        }
        if (heavy.size() > MAX_HEAVY_STAGES) {
            throw new UrlException("transformation", "invalid transformation: at most " + MAX_HEAVY_STAGES
                    + " stages of a chain may blur, sharpen, rotate, flip vertically, crop by content (g_auto, g_face,"
                    + " g_faces) or "
                    + "trim after the first stage, since each holds or convolves a whole image; "
                    + heavy.size() + " do: '" + UrlException.echo(String.join("', '", heavy)) + "'");
        }
        for (int i = 0; i < pixelStages.size() - 1; i++) {
            if (pixelStages.get(i).needsNegotiation()) {
                throw new UrlException("w", "invalid transformation: w_auto in stage '" + UrlException.echo(written.get(i))
                        + "': the width from client hints is for the last stage that changes pixels");
            }
        }
        Transformation folded = pixelStages.isEmpty()
                ? delivery
                : pixelStages.getLast().withDeliveryOf(delivery).after(pixelStages.subList(0, pixelStages.size() - 1));
        if (TransformationPrinter.print(folded).length() > MAX_LENGTH) {
            throw new UrlException("transformation",
                    "invalid transformation: its canonical form is longer than " + MAX_LENGTH + " characters");
        }
        return folded;
    }

    /**
     * At most this many stages of a chain may each hold a whole image in memory or convolve one
     * ({@link #heavy}). Chained, such stages multiply: each holds a copy until the render ends, and
     * convolutions stacked on convolutions recompute their margins for every tile.
     */
    public static final int MAX_HEAVY_STAGES = 2;

    /** A stage that holds its whole image in memory or convolves it: the cost chains must bound. */
    static boolean heavy(Transformation stage, boolean first) {
        boolean rotates = stage.angle().filter(a -> a != Transformation.Angle.HFLIP
                && a != Transformation.Angle.IGNORE).isPresent();
        return rotates || stage.gravity().byContent() || stage.effects().has(Effect.BLUR)
                || stage.effects().has(Effect.SHARPEN) || (!first && stage.effects().has(Effect.TRIM));
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
        if (presets.isPresent() && LayerParser.hasParam(segment, "l_")) {
            return LayerParser.layer(List.of(segment), presets.get());
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
            if (name.equals("l") && underscore > 0) {
                throw new UrlException(param, "invalid transformation '" + UrlException.echo(segment)
                        + "': a preset may not draw a layer (l_)");
            }
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
        Transformation.Builder draft = base.toBuilder();
        settings.forEach(s -> s.apply().accept(draft));
        Transformation transformation = draft.build();
        checkCombination(transformation, segment);
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

    /** Cloudinary's crop modes that need what imgorigin does not have; refused by name. */
    private static final Map<String, String> UNSUPPORTED_CROPS = Map.of(
            "auto", "it picks a crop from content scoring imgorigin does not have; use c_fill,g_auto",
            "auto_pad", "it picks between a crop and a pad from content scoring; use c_pad or c_fill,g_auto",
            "fill_pad", "it needs content-aware padding; use c_pad or c_fill,g_auto",
            "mfit", "it fits a minimum size; use c_fit with a larger box, or c_lfill",
            "mpad", "it pads to a minimum size; use c_lpad",
            "imagga_crop", "it calls Imagga's service",
            "imagga_scale", "it calls Imagga's service");

    private static Setting crop(String param, String value) {
        for (Crop crop : Crop.values()) {
            if (crop.code().equals(value)) {
                return set("c", d -> d.crop = crop);
            }
        }
        String why = UNSUPPORTED_CROPS.get(value);
        if (why != null) {
            throw new UrlException(param, "unsupported parameter '" + UrlException.echo(param) + "': " + why);
        }
        throw UrlException.invalidParameter(param,
                "crop mode must be one of scale, fit, limit, fill, lfill, pad, lpad, crop, thumb");
    }

    /**
     * {@code g_<compass>} or {@code g_auto}. Cloudinary's {@code g_auto:<focus>} qualifiers
     * ({@code g_auto:subject}, {@code g_auto:classic}, ...) all mean libvips' saliency here, so
     * they print as {@code g_auto}. {@code g_face} and {@code g_faces} crop around detected faces;
     * their {@code :<qualifier>} forms and {@code g_custom} are a 400 that says what is supported.
     */
    private static Setting gravity(String param, String value) {
        for (Gravity gravity : Gravity.values()) {
            if (gravity.code().equals(value)) {
                return set("g", d -> d.gravity = gravity);
            }
        }
        if (value.startsWith("auto:") && value.length() > "auto:".length()) {
            String focus = value.substring("auto:".length());
            if (!PRESET_NAME.matcher(focus.replace(':', '_')).matches()) {
                throw UrlException.invalidParameter(param, "g_auto:<focus> takes lowercase words");
            }
            return set("g", d -> d.gravity = Gravity.AUTO);
        }
        if (value.startsWith("face:") || value.startsWith("faces:") || value.equals("auto_face")
                || value.equals("custom")) {
            throw new UrlException(param, "unsupported parameter '" + UrlException.echo(param)
                    + "': faces are g_face (the largest) or g_faces (all of them), without qualifiers; "
                    + "there are no stored custom coordinates");
        }
        throw UrlException.invalidParameter(param, "gravity must be one of center, north, north_east, east, "
                + "south_east, south, south_west, west, north_west, auto, auto:<focus>, face, faces");
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

    /**
     * {@code e_<name>[:<value>]}, for every {@link Effect}: the value is a (possibly negative)
     * integer in the effect's range, or left out for its default.
     */
    private static Setting effect(String param, String value) {
        int colon = value.indexOf(':');
        String name = colon < 0 ? value : value.substring(0, colon);
        Effect effect = Effect.named(name).orElseThrow(() -> new UrlException(param, "unknown parameter '"
                + UrlException.echo(param) + "': effects are " + java.util.Arrays.stream(Effect.values())
                .map(e -> "e_" + e.code() + (e.takesValue() ? "[:n]" : "")).collect(java.util.stream.Collectors.joining(", "))));
        int amount;
        String argument = colon < 0 ? "" : value.substring(colon + 1);
        if (effect == Effect.TRIM && colon >= 0) {
            // e_trim[:tolerance][:colour]; Cloudinary's SDKs write e_trim:: for neither.
            String[] parts = argument.split(":", -1);
            if (parts.length > 2 || (parts.length == 2 && !parts[1].isEmpty())) {
                throw new UrlException(param, "unsupported parameter '" + UrlException.echo(param)
                        + "': e_trim trims the colour of the top-left pixel; a colour override is not supported");
            }
            argument = parts[0];
        }
        if (colon < 0 || (effect == Effect.TRIM && argument.isEmpty())) {
            amount = effect.defaultValue();
        } else if (!effect.takesValue()) {
            throw UrlException.invalidParameter(param, effect.rule());
        } else {
            amount = signedInt(argument).stream().filter(effect::inRange).findFirst()
                    .orElseThrow(() -> UrlException.invalidParameter(param, effect.rule()));
        }
        return set("e_" + effect.code(), d -> d.effects = d.effects.with(effect, amount));
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
        Rgb colour = colour(value).orElseThrow(() -> UrlException.invalidParameter(param,
                "background must be rgb:RRGGBB (six hex digits) or a CSS colour name (black, rebeccapurple, ...)"));
        return set("b", d -> d.background = Optional.of(colour));
    }

    /**
     * {@code co_}: the colour of an effect or overlay, as {@code b_} writes colours. No effect
     * imgorigin has uses one yet, so it is checked and then changes nothing: it does not print.
     */
    private static Setting colour(String param, String value) {
        colour(value).orElseThrow(() -> UrlException.invalidParameter(param,
                "colour must be rgb:RRGGBB (six hex digits) or a CSS colour name (black, rebeccapurple, ...)"));
        return set("co", d -> { });
    }

    /** {@code rgb:RRGGBB} (also {@code rgb_RRGGBB}, as Nuxt Image writes it) or a CSS colour name. */
    static Optional<Rgb> colour(String value) {
        if (value.startsWith("rgb:") || value.startsWith("rgb_")) {
            String hex = value.substring("rgb:".length());
            if (!HEX6.matcher(hex).matches()) {
                return Optional.empty();
            }
            int rgb = Integer.parseInt(hex, 16);
            return Optional.of(new Rgb(rgb >> 16, (rgb >> 8) & 0xFF, rgb & 0xFF));
        }
        return CssColours.named(value);
    }

    /** {@code x_}/{@code y_}: whole pixels from 0, or a fraction of the source written with a point. */
    private static Setting x(String param, String value) {
        Offset offset = offset(param, value);
        return set("x", d -> d.x = Optional.of(offset));
    }

    private static Setting y(String param, String value) {
        Offset offset = offset(param, value);
        return set("y", d -> d.y = Optional.of(offset));
    }

    private static Offset offset(String param, String value) {
        String rule = "a position is a whole number of pixels from 0, or a fraction 0.0-1.0 with a decimal point";
        if (DECIMAL.matcher(value).matches()) {
            double fraction = Double.parseDouble(value);
            if (fraction > 1.0) {
                throw UrlException.invalidParameter(param, rule);
            }
            // 0.0 of the source is its edge, as x_0 is: one spelling.
            return fraction == 0.0 ? new Offset.Pixels(0) : new Offset.Fraction(fraction);
        }
        if (value.equals("0") || value.matches("0+")) {
            return new Offset.Pixels(0);
        }
        return new Offset.Pixels(positiveInt(value).orElseThrow(() -> UrlException.invalidParameter(param, rule)));
    }

    /** {@code z_}: zoom into (over 1) or out of (under 1) a {@code c_crop} or {@code c_thumb}, 0.1 to 10. */
    private static Setting zoom(String param, String value) {
        double zoom = positiveNumber(value).filter(z -> z >= 0.1 && z <= 10.0).orElseThrow(() ->
                UrlException.invalidParameter(param, "zoom must be a number 0.1-10 (1.5, 2)"));
        return set("z", d -> d.zoom = Optional.of(zoom));
    }

    /** {@code r_<pixels>} or {@code r_max}. */
    private static Setting radius(String param, String value) {
        Radius radius = value.equals("max") ? new Radius.Max() : new Radius.Pixels(positiveInt(value)
                .stream().filter(r -> r <= 10_000).findFirst().orElseThrow(() -> UrlException.invalidParameter(param,
                        "radius must be max or a whole number of pixels 1-10000")));
        return set("r", d -> d.radius = Optional.of(radius));
    }

    /** {@code bo_<width>px_solid_<colour>}, the one border style Cloudinary has. */
    private static Setting border(String param, String value) {
        String rule = "border must be <width>px_solid_<colour>, the width 1-1000 pixels and the colour "
                + "rgb:RRGGBB or a CSS colour name";
        int px = value.indexOf("px_solid_");
        if (px < 0) {
            throw UrlException.invalidParameter(param, rule);
        }
        int width = positiveInt(value.substring(0, px)).stream().filter(w -> w <= 1000).findFirst()
                .orElseThrow(() -> UrlException.invalidParameter(param, rule));
        Rgb colour = colour(value.substring(px + "px_solid_".length()))
                .orElseThrow(() -> UrlException.invalidParameter(param, rule));
        return set("bo", d -> d.border = Optional.of(new Border(width, colour)));
    }

    /** {@code o_}: opacity in percent, 0-100; {@code o_100} changes nothing. */
    private static Setting opacity(String param, String value) {
        int opacity = value.matches("0+") ? 0 : positiveInt(value).stream().filter(o -> o <= 100).findFirst()
                .orElseThrow(() -> UrlException.invalidParameter(param, "opacity must be an integer 0-100"));
        return set("o", d -> d.opacity = OptionalInt.of(opacity));
    }

    /** {@code pg_<n>}: the n-th frame or page of the source, counted from 1. */
    private static Setting page(String param, String value) {
        int page = positiveInt(value).stream().filter(p -> p <= 10_000).findFirst()
                .orElseThrow(() -> UrlException.invalidParameter(param, "page must be an integer 1-10000"));
        return set("pg", d -> d.page = OptionalInt.of(page));
    }

    /**
     * {@code d_<id>}: the stored image that answers when the requested one is missing. An
     * extension, as Cloudinary's public ids carry, is accepted and dropped: the request's own
     * extension or {@code f_} chooses the format.
     */
    private static Setting defaultImage(String param, String value) {
        int dot = value.indexOf('.');
        String id = dot < 0 ? value : value.substring(0, dot);
        if (!ImageId.isValid(id) || (dot >= 0 && ImageFormat.ofExtension(value.substring(dot + 1))
                .filter(f -> value.substring(dot + 1).equals(value.substring(dot + 1).toLowerCase(java.util.Locale.ROOT)))
                .isEmpty())) {
            throw UrlException.invalidParameter(param,
                    "the default image must be an image id (16 to 64 lowercase hex characters), optionally with an extension");
        }
        ImageId defaultId = new ImageId(id);
        return set("d", d -> d.defaultImage = Optional.of(defaultId));
    }

    /**
     * Rules between parameters of one stage: {@code x_}/{@code y_} place a {@code c_crop}, and
     * {@code z_} zooms a {@code c_crop} or {@code c_thumb}; elsewhere they would silently do
     * nothing, so they are a 400.
     */
    private static void checkCombination(Transformation t, String segment) {
        if ((t.x().isPresent() || t.y().isPresent()) && t.crop() != Crop.CROP) {
            throw new UrlException(t.x().isPresent() ? "x" : "y", "invalid transformation '" + UrlException.echo(segment)
                    + "': x_ and y_ position a c_crop; add c_crop or remove them");
        }
        if ((t.x().isPresent() || t.y().isPresent()) && t.gravity().byContent()) {
            throw new UrlException("g", "invalid transformation '" + UrlException.echo(segment)
                    + "': x_ and y_ place the crop themselves; g_" + t.gravity().code() + " would place it by content");
        }
        if (t.zoom().isPresent() && t.crop() == Crop.THUMB && (t.width().isEmpty() || t.height().isEmpty())) {
            throw new UrlException("z", "invalid transformation '" + UrlException.echo(segment)
                    + "': z_ zooms a c_thumb of both w_ and h_");
        }
        if (t.zoom().isPresent() && t.crop() != Crop.CROP && t.crop() != Crop.THUMB) {
            throw new UrlException("z", "invalid transformation '" + UrlException.echo(segment)
                    + "': z_ zooms a c_crop or c_thumb; add one or remove it");
        }
    }

    private static Setting flag(String param, String value) {
        return switch (value) {
            case "progressive" -> set("fl_progressive", d -> d.progressive = true);
            case "attachment" -> set("fl_attachment", d -> d.attachment = true);
            case "layer_apply" -> throw new UrlException(param, "invalid transformation: fl_layer_apply ends a "
                    + "layer that an l_ in an earlier stage begins");
            case "relative" -> throw new UrlException(param, "invalid transformation: fl_relative sizes a layer; "
                    + "it goes with l_ or fl_layer_apply");
            default -> throw new UrlException(param, "unknown parameter '" + UrlException.echo(param)
                    + "': flags are fl_progressive, fl_attachment, and with layers fl_layer_apply, fl_relative");
        };
    }

    // ---- numbers ------------------------------------------------------------------------

    /** An optional {@code -} and ASCII digits that fit an int: effect values such as {@code -20}. */
    static OptionalInt signedInt(String text) {
        boolean negative = text.startsWith("-");
        String digits = negative ? text.substring(1) : text;
        if (digits.matches("0+")) {
            return negative ? OptionalInt.empty() : OptionalInt.of(0);
        }
        OptionalInt magnitude = positiveInt(digits);
        return magnitude.isPresent() ? OptionalInt.of(negative ? -magnitude.getAsInt() : magnitude.getAsInt())
                : OptionalInt.empty();
    }

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

    private static Setting set(String key, Consumer<Transformation.Builder> apply) {
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
    private record Setting(String key, Consumer<Transformation.Builder> apply) {
    }
}
