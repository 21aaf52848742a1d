package org.imgorigin.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The rules of signed upload URLs, with a clock the test moves. */
class SignedUploadsTest {
    private final AtomicLong now = new AtomicLong(1_800_000_000L);
    private final SignedUploads uploads = new SignedUploads("token-1234", now::get);

    /** The raw query of a path, as the server reads it. */
    private static String params(String path) {
        return URI.create("http://x" + path).getRawQuery();
    }

    private static int status(Runnable r) {
        try {
            r.run();
            return 200;
        } catch (HttpError e) {
            return e.status();
        }
    }

    @Test
    void aUrlIsGoodOnceUntilItExpiresAndItsNonceIsForgottenAfter() {
        String path = SignedUploads.sign("token-1234", now.get() + 60, "n".repeat(16));
        assertThat(status(() -> uploads.authorise(params(path)))).isEqualTo(200);
        assertThat(uploads.remembered()).isEqualTo(1);
        assertThatThrownBy(() -> uploads.authorise(params(path))).hasMessageContaining("already used");
        now.addAndGet(60);
        assertThatThrownBy(() -> uploads.authorise(params(path))).hasMessageContaining("expired");
        // A clock stepped back does not reopen it: the server's time never goes back.
        now.addAndGet(-30);
        assertThatThrownBy(() -> uploads.authorise(params(path))).hasMessageContaining("expired");
        // Another URL's check sweeps nonces expired more than the skew ago: memory is bounded.
        now.addAndGet(30 + SignedUploads.SKEW_SECONDS);
        String next = SignedUploads.sign("token-1234", now.get() + 10, "m".repeat(16));
        uploads.authorise(params(next));
        assertThat(uploads.remembered()).isEqualTo(1);
    }

    @Test
    void theSignatureCoversExpiresAndNonce() {
        String path = SignedUploads.sign("token-1234", now.get() + 60, "abcdefghijklmnop");
        assertThat(path).matches("/images\\?expires=\\d+&nonce=abcdefghijklmnop&sig=[A-Za-z0-9_-]{43}");
        assertThat(status(() -> uploads.authorise(params(path.replace("nonce=abcdefghijklmnop",
                "nonce=abcdefghijklmnoq"))))).isEqualTo(403);
        assertThat(status(() -> uploads.authorise(params(path.replace("expires=1800000060", "expires=1800000061")))))
                .isEqualTo(403);
        assertThat(status(() -> uploads.authorise(params(path.replace("nonce=abcdefghijklmnop", "nonce=short")))))
                .isEqualTo(401);
        assertThat(uploads.remembered()).isZero();
        // One spelling only: escapes, other cases, ';', other order or extra parameters are 401s.
        String query = params(path);
        for (String respelt : new String[] {query.replace("nonce=a", "nonce=%61"), query.replace("nonce=", "NONCE="),
            query.replace("&nonce", ";nonce"), query + "&x=1", "nonce=abcdefghijklmnop&" + query.replace(
                "&nonce=abcdefghijklmnop", "")}) {
            assertThat(status(() -> uploads.authorise(respelt))).as(respelt).isEqualTo(401);
        }
        assertThat(status(() -> uploads.authorise(params(path)))).isEqualTo(200);
    }

    /** A known answer, so that any implementation can check itself against this one. */
    @Test
    void aKnownSignature() throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec("token-1234".getBytes(), "HmacSHA256"));
        String expected = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                mac.doFinal("POST /images?expires=1800000060&nonce=0123456789abcdef".getBytes()));
        assertThat(SignedUploads.sign("token-1234", 1_800_000_060L, "0123456789abcdef"))
                .isEqualTo("/images?expires=1800000060&nonce=0123456789abcdef&sig=" + expected);
    }
}
