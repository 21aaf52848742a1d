package org.imgorigin.http;

import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed upload URLs (README, "Uploading from the browser"): a backend holding the upload
 * token mints {@code /images?expires=<unix seconds>&nonce=<nonce>&sig=<sig>}, and a browser
 * uses it for one {@code POST} before it expires, without ever seeing the token.
 *
 * <p>{@code <sig>} is the unpadded base64url HMAC-SHA256, keyed with the upload token, of
 * {@code POST /images?expires=<expires>&nonce=<nonce>} (all 43 characters). {@code <nonce>} is
 * 16 to 64 characters of {@code [A-Za-z0-9_-]}; {@code <expires>} at most
 * {@link #MAX_TTL_SECONDS} ahead. A nonce is remembered from its first use until its URL
 * expires, in this process only, for at most {@link #CAPACITY} URLs at once: past that, new
 * signed uploads are refused (429) rather than an old nonce forgotten.
 */
final class SignedUploads {
    static final long MAX_TTL_SECONDS = 86_400;
    static final int CAPACITY = 100_000;
    /**
     * The one spelling of a signed query: the three parameters in this order, nothing else, no
     * escapes. Vert.x reads parameter names in any case, splits on {@code ;} and decodes
     * escapes, so without this one URL could be written many ways, and a balancer routing a
     * signed upload by its nonce (nginx/cluster.conf) could send each spelling elsewhere.
     */
    private static final Pattern QUERY =
            Pattern.compile("expires=([0-9]{1,12})&nonce=([A-Za-z0-9_-]{16,64})&sig=([A-Za-z0-9_-]{43})");
    /** How long a nonce is kept past its URL's expiry, and how far ahead of the server a backend's clock may be. */
    static final long SKEW_SECONDS = 300;

    private final byte[] key;
    private final java.util.function.LongSupplier clock;
    /** nonce → expiry (epoch seconds), and the same entries by expiry, for eviction. */
    private final Map<String, Long> used = new HashMap<>();
    /** The latest time seen: a clock stepped back never reopens a used URL. */
    private long latest;
    private final PriorityQueue<Map.Entry<Long, String>> byExpiry =
            new PriorityQueue<>(Map.Entry.comparingByKey());

    SignedUploads(String token, java.util.function.LongSupplier epochSeconds) {
        this.key = token.getBytes(StandardCharsets.UTF_8);
        this.clock = epochSeconds;
    }

    /** Whether the request carries a signed-upload query (then it is checked here, not as a bearer token). */
    static boolean present(MultiMap params) {
        return params.contains("sig") || params.contains("expires") || params.contains("nonce");
    }

    /** The signature of one URL: what a backend in any language computes. */
    static String signature(byte[] key, String expires, String nonce) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] digest = mac.doFinal(("POST /images?expires=" + expires + "&nonce=" + nonce)
                    .getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** A signed path, as {@code bin/imgorigin sign-upload} prints it (for tests and Java backends). */
    static String sign(String token, long expires, String nonce) {
        String e = Long.toString(expires);
        return "/images?expires=" + e + "&nonce=" + nonce + "&sig="
                + signature(token.getBytes(StandardCharsets.UTF_8), e, nonce);
    }

    /**
     * Authorises one upload or throws: 401 when the query is incomplete or malformed, 403 when
     * the signature is wrong, the URL has expired or was used already (or expires too far
     * ahead), 429 when {@link #CAPACITY} unexpired URLs are remembered. Consumes the nonce:
     * the URL is good for one attempt, whatever its outcome.
     */
    void authorise(String rawQuery) {
        var matcher = QUERY.matcher(rawQuery == null ? "" : rawQuery);
        if (!matcher.matches()) {
            throw new HttpError(401, "a signed upload URL is /images?expires=<seconds>&nonce=<16-64 characters of"
                    + " A-Z a-z 0-9 _ ->&sig=<signature>, exactly so (bin/imgorigin sign-upload)");
        }
        String expires = matcher.group(1);
        String nonce = matcher.group(2);
        String sig = matcher.group(3);
        byte[] expected = signature(key, expires, nonce).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, sig.getBytes(StandardCharsets.US_ASCII))) {
            throw new HttpError(403, "invalid upload signature");
        }
        long expiry = Long.parseLong(expires);
        synchronized (this) {
            // One clock reading, under the lock, that never goes back: the expiry checks and
            // the eviction agree, and nonces are kept SKEW_SECONDS past their expiry.
            long now = Math.max(latest, clock.getAsLong());
            latest = now;
            if (expiry <= now) {
                throw new HttpError(403, "this signed upload URL has expired");
            }
            if (expiry > now + MAX_TTL_SECONDS + SKEW_SECONDS) {
                throw new HttpError(403, "this signed upload URL expires more than " + MAX_TTL_SECONDS
                        + " s ahead; mint one with a shorter lifetime");
            }
            while (!byExpiry.isEmpty() && byExpiry.peek().getKey() + SKEW_SECONDS <= now) {
                used.remove(byExpiry.poll().getValue());
            }
            if (used.containsKey(nonce)) {
                throw new HttpError(403, "this signed upload URL was already used");
            }
            if (used.size() >= CAPACITY) {
                throw new HttpError(429, "too many signed upload URLs in use; retry shortly");
            }
            used.put(nonce, expiry);
            byExpiry.add(Map.entry(expiry, nonce));
        }
    }

    /** Nonces remembered now (for tests). */
    synchronized int remembered() {
        return used.size();
    }

}
