package org.imgorigin.url;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;

/**
 * The path of an image request,
 * {@code /[[<cloud>/]image/upload/][s--<signature>--/][<transformation>/][v<version>/]<id>[.<ext>]}
 * (the README's URL grammar), taken apart. Cloudinary's {@code image/upload} prefix (with or
 * without a cloud name before it) and the version segment select nothing: they are accepted so
 * that URLs written for Cloudinary are served, and left out of the canonical path. Several
 * transformation segments are a chain of stages, folded into one transformation
 * ({@link TransformationParser#parseStages}).
 *
 * @param signature      the {@code <signature>} of an {@code s--<signature>--} first segment
 * @param signedPart     what the signature covers: the path after the signature segment, without
 *                       its leading {@code /} (the whole path without it when unsigned)
 * @param transformation {@link Transformation#NONE} when the path has no transformation segment
 * @param extension      the format the extension names; empty for none (the original's format)
 * @param marked         whether the configured watermark is drawn on what this path asks for
 *                       ({@link Presets#marks}); {@code transformation} is without it, since
 *                       the watermark is drawn after the request's {@code auto} forms are resolved
 */
public record ImagePath(
        Optional<String> signature,
        String signedPart,
        Transformation transformation,
        ImageId id,
        Optional<ImageFormat> extension,
        boolean marked) {

    /** Far above any valid path; refuses hostile ones before any other work. */
    public static final int MAX_LENGTH = 2048;

    private static final Pattern SIGNATURE = Pattern.compile("s--([A-Za-z0-9_-]{1,64})--");
    private static final Pattern VERSION = Pattern.compile("v[0-9]{1,20}");
    /** A Cloudinary cloud name, the optional segment before {@code image/upload}. */
    private static final Pattern CLOUD = Pattern.compile("[a-z0-9_-]{1,64}");
    private static final String SHAPE = "expected /[[<cloud>/]image/upload/][s--<signature>--/]"
            + "[<transformation>/...][v<version>/]<id>[.<ext>]";

    public ImagePath {
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(signedPart, "signedPart");
        Objects.requireNonNull(transformation, "transformation");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(extension, "extension");
    }

    /**
     * Takes apart the raw request path (as the HTTP server gives it, not percent-decoded).
     *
     * @throws UrlException naming the part that is wrong: {@code path}, {@code signature},
     *                      {@code transformation}, {@code id}, {@code extension}, or a parameter
     */
    public static ImagePath parse(String path, Presets presets) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(presets, "presets");
        if (path.length() > MAX_LENGTH) {
            throw new UrlException("path", "invalid path: longer than " + MAX_LENGTH + " characters");
        }
        if (!path.startsWith("/")) {
            throw UrlException.invalidPart("path", path, "it must start with '/'");
        }
        path = decodeEscapes(path);
        String[] segments = path.substring(1).split("/", -1);
        for (String segment : segments) {
            if (segment.isEmpty()) {
                throw UrlException.invalidPart("path", path, "empty segment ('//' or a '/' at an end)");
            }
        }

        // Cloudinary's delivery shape, [/<cloud>]/image/upload/..., is the same request: the
        // prefix and the cloud name select nothing here. The signature, if any, follows it.
        int next = prefixLength(segments);
        if (next == 0 && segments.length > 2 && segments[0].startsWith("s--")
                && segments[1].equals("image") && segments[2].equals("upload")) {
            throw UrlException.invalidPart("signature", segments[0],
                    "with the /image/upload/ prefix the signature stands after it: /image/upload/s--<signature>--/...");
        }
        Optional<String> signature = Optional.empty();
        int signedFrom = 1; // where the signed part starts in path: after the '/' of the first segment
        for (int i = 0; i < next; i++) {
            signedFrom += segments[i].length() + 1;
        }
        if (next < segments.length && segments[next].startsWith("s--")) {
            var matcher = SIGNATURE.matcher(segments[next]);
            if (!matcher.matches()) {
                throw UrlException.invalidPart("signature", segments[next],
                        "expected s--<signature>--, the signature in base64url");
            }
            signature = Optional.of(matcher.group(1));
            signedFrom += segments[next].length() + 1;
            next++;
        }

        int remaining = segments.length - next;
        if (remaining == 0) {
            throw new UrlException("id", "invalid path: no image id; " + SHAPE);
        }
        // Unsigned, the whole path is the signed part (a server with a key refuses it anyway).
        String signedPart = signature.isEmpty() ? path.substring(1) : path.substring(signedFrom);
        // A version segment (v1712345678) right before the id: Cloudinary's cache buster, ignored.
        int end = segments.length - 1;
        if (end > next && VERSION.matcher(segments[end - 1]).matches()) {
            end--;
        }
        String last = segments[segments.length - 1];
        int dot = last.indexOf('.');
        String idText = dot < 0 ? last : last.substring(0, dot);
        if (!ImageId.isValid(idText)) {
            throw UrlException.invalidPart("id", idText, "an image id is 16 to 64 lowercase hex characters");
        }
        Optional<ImageFormat> extension = Optional.empty();
        if (dot >= 0) {
            String ext = last.substring(dot + 1);
            // ofExtension ignores case; URLs have one spelling.
            boolean lowercase = ext.equals(ext.toLowerCase(Locale.ROOT));
            extension = Optional.of((lowercase ? ImageFormat.ofExtension(ext) : Optional.<ImageFormat>empty())
                    .orElseThrow(() -> UrlException.invalidPart("extension", ext,
                            "the extension must be one of jpg, jpeg, png, webp, avif, gif, jxl")));
        }
        // After the id, so that a path in the wrong order (/<id>/w_300) is reported as the
        // bad id it ends with rather than as an unknown parameter named like an id.
        java.util.List<String> stages = java.util.List.of(segments).subList(next, end);
        Transformation transformation = stages.isEmpty() ? Transformation.NONE
                : TransformationParser.parseStages(stages, presets);
        return new ImagePath(signature, signedPart, transformation, new ImageId(idText), extension,
                presets.marks(stages));
    }

    /**
     * Ids, parameters and signatures are plain ASCII, but front-end libraries escape some of the
     * grammar's own characters inside values (unpic writes {@code g_north%5Feast} and
     * {@code b_rgb%3Aff0000}): {@code %3A} ({@code :}), {@code %5F} ({@code _}) and {@code %2C}
     * ({@code ,}) are read as those characters, in either case, and the path is then one
     * spelling of the same variant. Any other escape could only smuggle a {@code /} or
     * {@code .} past this parser, and is a 400, except in a text layer's font and text
     * ({@code l_text:Arial_40:Hello%252C%20World}), which run to the next {@code ,} or {@code /}
     * and are left for the transformation parser to decode.
     */
    private static String decodeEscapes(String path) {
        int percent = path.indexOf('%');
        if (percent < 0) {
            return path;
        }
        StringBuilder out = new StringBuilder(path.length());
        int from = 0;
        while (percent >= 0) {
            int text = textLayer(path, from, percent);
            if (text >= 0) {
                // A text layer's text is the transformation parser's to decode (Layer.decodeText).
                int end = textEnd(path, text);
                out.append(path, from, end);
                from = end;
                percent = path.indexOf('%', from);
                continue;
            }
            out.append(path, from, percent);
            String escape = percent + 3 <= path.length() ? path.substring(percent + 1, percent + 3) : "";
            char decoded = switch (escape.toUpperCase(Locale.ROOT)) {
                case "3A" -> ':';
                case "5F" -> '_';
                case "2C" -> ',';
                default -> throw UrlException.invalidPart("path", path,
                        "percent-encoded characters are not allowed, except %3A, %5F and %2C");
            };
            out.append(decoded);
            from = percent + 3;
            percent = path.indexOf('%', from);
        }
        return out.append(path, from, path.length()).toString();
    }

    private static final String TEXT_LAYER = "l_text:";

    /**
     * Where the text layer whose font or text holds the escape at {@code percent} begins
     * (its {@code l_text:}), or -1. The text runs to the next {@code ,} or {@code /}.
     */
    private static int textLayer(String path, int from, int percent) {
        int start = path.lastIndexOf(TEXT_LAYER, percent);
        if (start < 0 || start < from - TEXT_LAYER.length() || (start > 0 && path.charAt(start - 1) != ','
                && path.charAt(start - 1) != '/')) {
            return -1;
        }
        return textEnd(path, start) > percent ? start : -1;
    }

    private static int textEnd(String path, int start) {
        int end = start + TEXT_LAYER.length();
        while (end < path.length() && path.charAt(end) != ',' && path.charAt(end) != '/') {
            end++;
        }
        return end;
    }

    /** How many segments Cloudinary's {@code [<cloud>/]image/upload} prefix takes: 0, 2 or 3. */
    private static int prefixLength(String[] segments) {
        if (segments.length > 2 && segments[0].equals("image") && segments[1].equals("upload")) {
            return 2;
        }
        if (segments.length > 3 && segments[1].equals("image") && segments[2].equals("upload")
                && CLOUD.matcher(segments[0]).matches() && !segments[0].startsWith("s--")) {
            return 3;
        }
        return 0;
    }

    /** The canonical, unsigned path of the same request (see {@link #format}). */
    public String print() {
        return format(transformation, id, extension);
    }

    /**
     * The canonical path {@code /<transformation>/<id>[.<ext>]}: the canonical transformation
     * (no segment for {@link Transformation#NONE}) and the canonical extension ({@code jpg}).
     */
    public static String format(Transformation transformation, ImageId id, Optional<ImageFormat> extension) {
        String segment = TransformationPrinter.print(transformation);
        return (segment.isEmpty() ? "" : "/" + segment)
                + "/" + id.value()
                + extension.map(f -> "." + f.extension()).orElse("");
    }
}
