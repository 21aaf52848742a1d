package org.imgorigin.url;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.imgorigin.image.ImageId;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Rgb;

/**
 * An overlay, {@code l_}: another stored image or a line of text, given its own stages and
 * drawn over the image the stages before it made, at a {@link Placement}.
 *
 * <p>Cloudinary writes a layer in one component, {@code l_<id>,w_100,g_south_east,x_10,o_60}
 * (the placement, {@code g_}/{@code x_}/{@code y_}, places the layer; the rest transforms it),
 * or spread over several, {@code l_<id>/<stages on the layer>/fl_layer_apply,<placement>}.
 * Both are read by {@link TransformationParser}; {@link TransformationPrinter} writes the one
 * component form whenever it can say the same thing.
 *
 * @param source    what is drawn
 * @param stages    the layer's own stages, in order (may be empty); none has a layer of its own
 * @param placement where it is drawn
 * @param relative  {@code fl_relative}: fractional {@code w_}/{@code h_} of the layer's first
 *                  stage are fractions of the image it is drawn on, not of the layer
 */
public record Layer(Source source, List<Transformation> stages, Placement placement, boolean relative) {
    /** At most this many layers in one URL (a configured watermark is one more). */
    public static final int MAX_LAYERS = 5;
    /** At most this many characters (code points) of text in one text layer. */
    public static final int MAX_TEXT = 200;
    /** Text sizes, in pixels (at DPR 1). */
    public static final int MAX_TEXT_SIZE = 400;

    public Layer {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(placement, "placement");
        stages = List.copyOf(stages);
        for (Transformation stage : stages) {
            if (stage.layer().isPresent() || !stage.before().isEmpty() || !stage.deliverySet().isEmpty()
                    || stage.needsNegotiation()) {
                throw new IllegalArgumentException("a layer's stage sets only the layer's own pixels: " + stage);
            }
        }
    }

    /** What a layer draws. */
    public sealed interface Source {
        /** Another stored image, by id. */
        record Image(ImageId id) implements Source {
            public Image {
                Objects.requireNonNull(id, "id");
            }
        }

        /** Text in a font of the machine's, in a colour ({@code co_}, black by default). */
        record Text(Font font, String text, Rgb colour) implements Source {
            public Text {
                Objects.requireNonNull(font, "font");
                Objects.requireNonNull(text, "text");
                Objects.requireNonNull(colour, "colour");
                if (text.isEmpty() || text.codePointCount(0, text.length()) > MAX_TEXT) {
                    throw new IllegalArgumentException("text must have 1 to " + MAX_TEXT + " characters");
                }
            }
        }
    }

    /**
     * {@code <family>_<size>[_bold][_italic][_letter_spacing_<n>][_line_spacing_<n>]}: the
     * family as fontconfig names it (spaces written {@code %20}), size in pixels.
     */
    public record Font(String family, int size, boolean bold, boolean italic, int letterSpacing, int lineSpacing) {
        static final Pattern FAMILY = Pattern.compile("[A-Za-z][A-Za-z0-9 -]{0,63}");

        public Font {
            if (!FAMILY.matcher(family).matches()) {
                throw new IllegalArgumentException("bad font family: " + family);
            }
            if (size < 1 || size > MAX_TEXT_SIZE) {
                throw new IllegalArgumentException("font size must be 1-" + MAX_TEXT_SIZE + ": " + size);
            }
            if (Math.abs(letterSpacing) > 100 || lineSpacing < 0 || lineSpacing > 100) {
                throw new IllegalArgumentException("letter spacing must be -100 to 100, line spacing 0 to 100");
            }
        }
    }

    /**
     * Where a layer goes: by {@code g_} (the centre by default), moved by {@code x_}/{@code y_},
     * away from the edges the gravity names (towards the right and down from the centre), in
     * pixels (scaled by DPR) or as fractions of the image it is drawn on; negative moves back.
     */
    public record Placement(Gravity gravity, Optional<Shift> x, Optional<Shift> y) {
        public static final Placement CENTRE = new Placement(Gravity.CENTER, Optional.empty(), Optional.empty());

        public Placement {
            Objects.requireNonNull(gravity, "gravity");
            Objects.requireNonNull(x, "x");
            Objects.requireNonNull(y, "y");
            if (gravity == Gravity.AUTO || gravity == Gravity.FACE || gravity == Gravity.FACES) {
                throw new IllegalArgumentException("a layer is placed by compass gravity");
            }
            // x_0 places as no x_ does: one spelling.
            if (x.isPresent() && x.get().value() == 0) {
                x = Optional.empty();
            }
            if (y.isPresent() && y.get().value() == 0) {
                y = Optional.empty();
            }
        }
    }

    /** A placement offset: whole pixels, or a fraction (written with a point) of the image drawn on. */
    public record Shift(double value, boolean fraction) {
        public Shift {
            if (!Double.isFinite(value) || (fraction && Math.abs(value) > 1.0) || (!fraction && value != Math.rint(value))
                    || Math.abs(value) > 100_000) {
                throw new IllegalArgumentException("bad offset: " + value);
            }
        }

        /** Pixels in the image drawn on, {@code width} wide (or high), at {@code dpr}. */
        public int pixels(int extent, double dpr) {
            return (int) Math.round(fraction ? value * extent : value * dpr);
        }
    }

    /** The stored images this layer draws (none for text). */
    public Optional<ImageId> image() {
        return source instanceof Source.Image i ? Optional.of(i.id()) : Optional.empty();
    }

    // ---- text: Cloudinary's escaping ------------------------------------------------------

    /**
     * The text of {@code l_text:<font>:<text>} as the URL carries it, decoded: percent escapes
     * as UTF-8 once, then {@code %2C}, {@code %2F} and {@code %25} once more, since the SDKs
     * write {@code ,} and {@code /} (which separate parameters and stages) as {@code %252C} and
     * {@code %252F}, and hand-written URLs as {@code %2C}. Empty when the escapes are malformed
     * or the bytes are not UTF-8.
     */
    static Optional<String> decodeText(String raw) {
        Optional<String> once = percentDecode(raw);
        if (once.isEmpty()) {
            return once;
        }
        String text = once.get();
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length()) {
                String code = text.substring(i + 1, i + 3).toUpperCase(java.util.Locale.ROOT);
                char decoded = switch (code) {
                    case "2C" -> ',';
                    case "2F" -> '/';
                    case "25" -> '%';
                    default -> 0;
                };
                if (decoded != 0) {
                    out.append(decoded);
                    i += 2;
                    continue;
                }
            }
            out.append(c);
        }
        return Optional.of(out.toString());
    }

    /** {@link #decodeText}'s inverse: the one spelling the printer writes. */
    static String encodeText(String text) {
        StringBuilder out = new StringBuilder(text.length() * 2);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            switch (c) {
                case ',' -> out.append("%252C");
                case '/' -> out.append("%252F");
                case '%' -> out.append("%2525");
                default -> {
                    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                            || "-._!*'()".indexOf(c) >= 0) {
                        out.append((char) c);
                    } else {
                        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                                .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
                    }
                }
            }
        }
        return out.toString();
    }

    /** Percent escapes decoded as UTF-8; other characters must be printable ASCII. */
    private static Optional<String> percentDecode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return Optional.empty();
                }
                int high = Character.digit(raw.charAt(i + 1), 16);
                int low = Character.digit(raw.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return Optional.empty();
                }
                bytes.write(high * 16 + low);
                i += 2;
            } else if (c > 0x20 && c < 0x7F) {
                bytes.write(c);
            } else {
                return Optional.empty();
            }
        }
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray())).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
