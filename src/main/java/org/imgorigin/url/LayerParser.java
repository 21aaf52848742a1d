package org.imgorigin.url;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.url.Transformation.Rgb;

/**
 * The layer part of the URL grammar ({@code l_}, {@code fl_layer_apply}, {@code fl_relative},
 * text layers and placements): {@link TransformationParser} hands it every stage that draws a
 * layer, and parses each of the layer's own stages with the ordinary grammar.
 */
final class LayerParser {
    private LayerParser() {
    }

    /**
     * The stages with each layer of the spread-out form ({@code l_<id>/<stages>/fl_layer_apply,...})
     * joined into one entry by {@code /}: the entries are then the chain's stages.
     */
    static List<String> groupLayers(List<String> stages) {
        List<String> grouped = new ArrayList<>(stages.size());
        for (int i = 0; i < stages.size(); i++) {
            String stage = stages.get(i);
            if (hasParam(stage, "fl_layer_apply")) {
                throw new UrlException("fl_layer_apply", "invalid transformation: fl_layer_apply in stage '"
                        + UrlException.echo(stage) + "' ends a layer that no l_ before it begins");
            }
            if (!hasParam(stage, "l_")) {
                grouped.add(stage);
                continue;
            }
            int end = -1;
            for (int j = i + 1; j < stages.size() && end < 0; j++) {
                if (hasParam(stages.get(j), "fl_layer_apply")) {
                    end = j;
                } else if (hasParam(stages.get(j), "l_")) {
                    break;
                }
            }
            if (end < 0) {
                grouped.add(stage); // the one-component form
            } else {
                for (int j = i + 1; j < end; j++) {
                    if (hasParam(stages.get(j), "l_")) {
                        throw new UrlException("l", "invalid transformation: a layer inside a layer ('"
                                + UrlException.echo(stages.get(j)) + "') is not supported");
                    }
                }
                grouped.add(String.join("/", stages.subList(i, end + 1)));
                i = end;
            }
        }
        return grouped;
    }

    static Transformation parseGroup(String group, Presets presets) {
        return group.indexOf('/') < 0 ? TransformationParser.parse(group, presets) : layer(List.of(group.split("/", -1)), presets);
    }

    /** Whether a parameter of the stage is {@code prefix...} (a flag when it has no {@code _} at its end). */
    static boolean hasParam(String stage, String prefix) {
        for (String param : stage.split(",", -1)) {
            if (prefix.endsWith("_") ? param.startsWith(prefix) : param.equals(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static boolean deliveryParam(String param) {
        int underscore = param.indexOf('_');
        String name = underscore < 0 ? param : param.substring(0, underscore);
        return param.equals("fl_progressive") || param.equals("fl_attachment")
                || (underscore > 0 && (name.equals("q") || name.equals("f") || name.equals("dpr") || name.equals("pg")
                        || name.equals("d")));
    }

    /**
     * A layer: one component ({@code l_<id>,w_100,g_south_east,o_60}: {@code g_}, {@code x_},
     * {@code y_} place it, the rest transform it), or the spread-out form, {@code l_<id>[,...]},
     * stages on the layer, then {@code fl_layer_apply} with the placement. {@code co_} colours a
     * text layer; request-wide parameters written anywhere in it are the request's.
     */
    static Transformation layer(List<String> components, Presets presets) {
        boolean spread = components.size() > 1;
        String written = String.join("/", components);
        String opening = components.getFirst();
        Layer.Source source = null;
        String sourceParam = null;
        Optional<Rgb> colour = Optional.empty();
        boolean relative = false;
        List<String> own = new ArrayList<>();
        List<String> placement = new ArrayList<>();
        Transformation delivery = Transformation.NONE;
        List<String> deliveryParams = new ArrayList<>();
        for (String param : opening.split(",", -1)) {
            if (param.isEmpty()) {
                throw new UrlException("", "invalid transformation '" + UrlException.echo(opening)
                        + "': empty parameter (two commas in a row, or a comma at an end)");
            }
            if (param.startsWith("l_")) {
                if (sourceParam != null) {
                    throw new UrlException(param, "repeated parameter '" + UrlException.echo(param)
                            + "' (already given as '" + UrlException.echo(sourceParam) + "'): one l_ per layer");
                }
                sourceParam = param;
            } else if (param.startsWith("co_")) {
                if (colour.isPresent()) {
                    throw new UrlException(param, "repeated parameter '" + UrlException.echo(param) + "'");
                }
                colour = Optional.of(TransformationParser.colour(param.substring(3)).orElseThrow(() -> UrlException.invalidParameter(param,
                        "colour must be rgb:RRGGBB (six hex digits) or a CSS colour name (black, rebeccapurple, ...)")));
            } else if (param.equals("fl_relative")) {
                relative = true;
            } else if (!spread && (param.startsWith("g_") || param.startsWith("x_") || param.startsWith("y_"))) {
                placement.add(param);
            } else if (deliveryParam(param)) {
                deliveryParams.add(param);
            } else {
                own.add(param);
            }
        }
        source = source(sourceParam, colour.orElse(new Rgb(0, 0, 0)));
        List<Transformation> stages = new ArrayList<>();
        List<String> layerStages = new ArrayList<>();
        if (!own.isEmpty()) {
            layerStages.add(String.join(",", own));
        }
        if (spread) {
            layerStages.addAll(components.subList(1, components.size() - 1));
            for (String param : components.getLast().split(",", -1)) {
                if (param.equals("fl_layer_apply")) {
                    continue;
                }
                if (param.equals("fl_relative")) {
                    relative = true;
                } else if (param.startsWith("g_") || param.startsWith("x_") || param.startsWith("y_")) {
                    placement.add(param);
                } else if (deliveryParam(param)) {
                    deliveryParams.add(param);
                } else {
                    throw new UrlException(param, "invalid transformation '" + UrlException.echo(components.getLast())
                            + "': fl_layer_apply places the layer with g_, x_, y_ (and fl_relative); '"
                            + UrlException.echo(param) + "' belongs in a stage before it");
                }
            }
        }
        if (!deliveryParams.isEmpty()) {
            delivery = TransformationParser.parse(String.join(",", deliveryParams), presets);
        }
        for (String stage : layerStages) {
            Transformation t = TransformationParser.parse(stage, presets);
            if (t.layer().isPresent()) {
                throw new UrlException("l", "invalid transformation: a layer inside a layer ('"
                        + UrlException.echo(stage) + "') is not supported");
            }
            if (!t.deliverySet().isEmpty()) {
                throw new UrlException(t.deliverySet().getFirst(), "invalid transformation: '"
                        + UrlException.echo(stage) + "' in layer '" + UrlException.echo(written)
                        + "' sets a request-wide parameter (q_, f_, dpr_, pg_, d_, fl_progressive, fl_attachment); "
                        + "write it outside the layer");
            }
            if (t.needsNegotiation()) {
                throw new UrlException("w", "invalid transformation: w_auto in layer '" + UrlException.echo(written)
                        + "': the width from client hints is for the image, not a layer");
            }
            if (t.effects().has(Effect.TRIM)) {
                throw new UrlException("e_trim", "unsupported parameter: e_trim in layer '" + UrlException.echo(written)
                        + "': a layer is not trimmed; trim the image drawn on, or store the layer trimmed");
            }
            if (!t.equals(Transformation.NONE)) {
                stages.add(t);
            }
        }
        Layer layer = new Layer(source, stages, placement(placement, written), relative);
        if (relative && (stages.isEmpty() || (!(stages.getFirst().width().orElse(null) instanceof Length.Fraction)
                && !(stages.getFirst().height().orElse(null) instanceof Length.Fraction)))) {
            throw new UrlException("fl_relative", "invalid transformation '" + UrlException.echo(written)
                    + "': fl_relative sizes the layer by a fraction of the image (w_0.2); give the layer's w_ or h_ "
                    + "as a fraction");
        }
        Transformation drawn = delivery.toBuilder().layer(Optional.of(layer)).build();
        if (TransformationPrinter.print(drawn).length() > TransformationParser.MAX_LENGTH) {
            throw new UrlException("transformation",
                    "invalid transformation: its canonical form is longer than " + TransformationParser.MAX_LENGTH + " characters");
        }
        return drawn;
    }

    private static final Pattern SIGNED_INTEGER = Pattern.compile("-?[0-9]{1,6}");
    private static final Pattern SIGNED_DECIMAL = Pattern.compile("-?[0-9]+\\.[0-9]+");

    private static Layer.Placement placement(List<String> params, String written) {
        Gravity gravity = Gravity.CENTER;
        Optional<Layer.Shift> x = Optional.empty();
        Optional<Layer.Shift> y = Optional.empty();
        Map<String, String> seen = new HashMap<>();
        for (String param : params) {
            String name = param.substring(0, param.indexOf('_'));
            String value = param.substring(param.indexOf('_') + 1);
            String earlier = seen.putIfAbsent(name, param);
            if (earlier != null) {
                throw new UrlException(param, "repeated parameter '" + UrlException.echo(param)
                        + "' (already given as '" + UrlException.echo(earlier) + "')");
            }
            switch (name) {
                case "g" -> {
                    Gravity g = java.util.Arrays.stream(Gravity.values()).filter(v -> v != Gravity.AUTO
                            && v != Gravity.FACE && v != Gravity.FACES && v.code().equals(value)).findFirst().orElseThrow(() -> UrlException.invalidParameter(param,
                            "a layer is placed by g_center, north, north_east, east, south_east, south, south_west, "
                                    + "west or north_west"));
                    gravity = g;
                }
                case "x" -> x = Optional.of(shift(param, value));
                default -> y = Optional.of(shift(param, value));
            }
        }
        return new Layer.Placement(gravity, x, y);
    }

    private static Layer.Shift shift(String param, String value) {
        String rule = "a layer's offset is whole pixels (-100000 to 100000) or a fraction -1.0 to 1.0 with a decimal point";
        if (SIGNED_DECIMAL.matcher(value).matches()) {
            double fraction = Double.parseDouble(value);
            if (Math.abs(fraction) > 1.0) {
                throw UrlException.invalidParameter(param, rule);
            }
            return new Layer.Shift(fraction == 0.0 ? 0.0 : fraction, fraction != 0.0);
        }
        if (SIGNED_INTEGER.matcher(value).matches() && !value.equals("-0")) {
            int pixels = Integer.parseInt(value);
            if (Math.abs(pixels) <= 100_000) {
                return new Layer.Shift(pixels, false);
            }
        }
        throw UrlException.invalidParameter(param, rule);
    }

    private static final Pattern FONT_SIZE = Pattern.compile("[0-9]{1,4}");

    /** {@code l_<id>[.<ext>]} or {@code l_text:<font>:<text>}. */
    private static Layer.Source source(String param, Rgb colour) {
        String value = param.substring(2);
        if (value.startsWith("text:")) {
            return text(param, value.substring("text:".length()), colour);
        }
        int dot = value.indexOf('.');
        String id = dot < 0 ? value : value.substring(0, dot);
        if (!ImageId.isValid(id) || (dot >= 0 && ImageFormat.ofExtension(value.substring(dot + 1)).isEmpty())) {
            throw UrlException.invalidParameter(param, "a layer is l_<image id> (16 to 64 lowercase hex characters, "
                    + "optionally with an extension) or l_text:<font>_<size>:<text>");
        }
        return new Layer.Source.Image(new ImageId(id));
    }

    private static Layer.Source text(String param, String value, Rgb colour) {
        int colon = value.indexOf(':');
        if (colon < 0) {
            throw UrlException.invalidParameter(param, "a text layer is l_text:<font>_<size>[_bold][_italic]:<text>");
        }
        String[] style = value.substring(0, colon).split("_", -1);
        String family = Layer.decodeText(style[0]).orElse("");
        if (style.length < 2 || !Layer.Font.FAMILY.matcher(family).matches() || !FONT_SIZE.matcher(style[1]).matches()
                || Integer.parseInt(style[1]) < 1 || Integer.parseInt(style[1]) > Layer.MAX_TEXT_SIZE) {
            throw UrlException.invalidParameter(param, "a text layer is l_text:<font>_<size>[_bold][_italic]:<text>: the "
                    + "font a family name of letters, digits, spaces (%20) and '-', the size 1-" + Layer.MAX_TEXT_SIZE
                    + " pixels");
        }
        boolean bold = false;
        boolean italic = false;
        int letterSpacing = 0;
        int lineSpacing = 0;
        for (int i = 2; i < style.length; i++) {
            String token = style[i];
            if (token.equals("bold")) {
                bold = true;
            } else if (token.equals("italic")) {
                italic = true;
            } else if (token.equals("normal")) {
                continue;
            } else if ((token.equals("letter") || token.equals("line")) && i + 2 < style.length
                    && style[i + 1].equals("spacing")) {
                OptionalInt spacing = TransformationParser.signedInt(style[i + 2]);
                int least = token.equals("letter") ? -100 : 0;
                if (spacing.isEmpty() || spacing.getAsInt() < least || spacing.getAsInt() > 100) {
                    throw UrlException.invalidParameter(param, token + "_spacing takes pixels, " + least + " to 100");
                }
                if (token.equals("letter")) {
                    letterSpacing = spacing.getAsInt();
                } else {
                    lineSpacing = spacing.getAsInt();
                }
                i += 2;
            } else {
                throw new UrlException(param, "unsupported parameter '" + UrlException.echo(param) + "': text styles "
                        + "are bold, italic, normal, letter_spacing_<n> and line_spacing_<n>; '"
                        + UrlException.echo(token) + "' is not one");
            }
        }
        String text = Layer.decodeText(value.substring(colon + 1)).orElseThrow(() ->
                UrlException.invalidParameter(param, "the text must be percent-encoded UTF-8 (commas and slashes as "
                        + "%252C and %252F)"));
        if (text.isEmpty()) {
            throw UrlException.invalidParameter(param, "the text is empty");
        }
        if (text.codePointCount(0, text.length()) > Layer.MAX_TEXT) {
            throw UrlException.invalidParameter(param, "the text has " + text.codePointCount(0, text.length())
                    + " characters, over the limit of " + Layer.MAX_TEXT);
        }
        if (text.chars().anyMatch(c -> c < 0x20 && c != '\n' || c == 0x7F)) {
            throw UrlException.invalidParameter(param, "the text may hold line breaks (%0A) but no other control characters");
        }
        return new Layer.Source.Text(new Layer.Font(family, Integer.parseInt(style[1]), bold, italic, letterSpacing,
                lineSpacing), text, colour);
    }
}
