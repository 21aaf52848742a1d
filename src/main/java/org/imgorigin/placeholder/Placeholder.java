package org.imgorigin.placeholder;

import io.vertx.core.json.JsonObject;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What stands in for an image while it loads: a BlurHash (4 × 3 components), a ThumbHash
 * (base64) and its dominant colour ({@code #rrggbb}), all from one small thumbnail.
 *
 * <p>The dominant colour is the mode of a coarse histogram (4 bits a channel, pixels under
 * half opacity left out), reported as the mean of the pixels in the winning bin: the colour
 * most of the image actually is, where a plain average of a red flower on green leaves would
 * be a brown that appears nowhere.
 */
public record Placeholder(String blurhash, String thumbhash, String colour) {
    private static final Pattern BLURHASH = Pattern.compile("[0-9A-Za-z#$%*+,\\-.:;=?@\\[\\]^_{|}~]{6,200}");
    private static final Pattern THUMBHASH = Pattern.compile("[A-Za-z0-9+/]{4,200}={0,2}");
    private static final Pattern COLOUR = Pattern.compile("#[0-9a-f]{6}");

    public Placeholder {
        if (blurhash == null || !BLURHASH.matcher(blurhash).matches() || thumbhash == null
                || !THUMBHASH.matcher(thumbhash).matches() || colour == null || !COLOUR.matcher(colour).matches()) {
            throw new IllegalArgumentException("not a placeholder");
        }
    }

    /** From the RGBA pixels (not premultiplied) of a thumbnail of at most 100 × 100. */
    public static Placeholder of(int width, int height, byte[] rgba) {
        return new Placeholder(BlurHash.encode(width, height, rgba, 4, 3), ThumbHash.encodeBase64(width, height, rgba),
                dominant(width * height, rgba));
    }

    static String dominant(int pixels, byte[] rgba) {
        int[] counts = new int[4096];
        long[][] sums = new long[4096][3];
        int best = -1;
        for (int i = 0; i < pixels; i++) {
            int j = i * 4;
            if ((rgba[j + 3] & 0xff) < 128) {
                continue;
            }
            int r = rgba[j] & 0xff, g = rgba[j + 1] & 0xff, b = rgba[j + 2] & 0xff;
            int bin = (r >> 4) << 8 | (g >> 4) << 4 | (b >> 4);
            counts[bin]++;
            sums[bin][0] += r;
            sums[bin][1] += g;
            sums[bin][2] += b;
            if (best < 0 || counts[bin] > counts[best]) {
                best = bin;
            }
        }
        if (best < 0) { // all but transparent: the plain average of what colour there is
            long r = 0, g = 0, b = 0;
            for (int i = 0; i < pixels; i++) {
                r += rgba[i * 4] & 0xff;
                g += rgba[i * 4 + 1] & 0xff;
                b += rgba[i * 4 + 2] & 0xff;
            }
            return hex(r / pixels, g / pixels, b / pixels);
        }
        int n = counts[best];
        return hex(Math.round((double) sums[best][0] / n), Math.round((double) sums[best][1] / n),
                Math.round((double) sums[best][2] / n));
    }

    private static String hex(long r, long g, long b) {
        return "#" + HexFormat.of().toHexDigits((byte) r) + HexFormat.of().toHexDigits((byte) g)
                + HexFormat.of().toHexDigits((byte) b);
    }

    public JsonObject json() {
        return new JsonObject().put("blurhash", blurhash).put("thumbhash", thumbhash).put("colour", colour);
    }

    /** A kept placeholder, or empty when it is not one (malformed, truncated, from another version). */
    public static Optional<Placeholder> parse(String text) {
        try {
            JsonObject json = new JsonObject(text);
            return Optional.of(new Placeholder(json.getString("blurhash"), json.getString("thumbhash"),
                    json.getString("colour")));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
