package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutation fuzzing of image URLs over HTTP: valid paths are cut, spliced, repeated and
 * sprinkled with hostile bytes, and every answer must be a documented status with a JSON
 * body, never a 500, with the server healthy afterwards. The seed is printed so a failure
 * can be replayed with {@code -Dimgorigin.fuzz.seed=N}.
 */
class UrlFuzzTest {
    private static final String[] SEEDS = {
        "/w_300,q_80/ID.webp", "/c_fill,w_120,h_80,g_auto/ID.avif", "/t_thumb/ID", "/ID.png",
        "/w_0.5,e_blur:300,a_90,b_rgb:ff0000,fl_progressive/ID.jpg", "/s--abcdefABCDEF0123--/w_10/ID.gif",
        "/w_auto:400,dpr_auto,f_auto,q_auto:eco/ID", "/ar_16:9,c_pad,w_64/ID.webp", "/c_crop,w_5,h_5,g_south_east/ID",
    };
    private static final String HOSTILE = "%/\\,:._-~!$&'()*+;=@[]{}<>|^`\"#? \t\u0000\u00e9\u202e"
            + "0123456789abcdefwhqcgfeatbdplsruxyz";
    private static final Set<Integer> DOCUMENTED = Set.of(200, 304, 400, 403, 404, 405, 415, 422, 429);

    @TempDir
    Path root;

    @Test
    @org.junit.jupiter.api.Disabled("bug under investigation: with -Dimgorigin.fuzz.seed=8037484782359 one request, "
            + "GET /w_300,q_80/18331b6975f3d5309e00fd5f3785205e9f1afbfc2.webpebp, is never answered inside the "
            + "fuzz run although the same path alone gets its 400; random seeds hit such hangs about one run in "
            + "three. Enable with the seed to reproduce.")
    void mutatedUrlsGetDocumentedAnswersAndNeverA500() throws Exception {
        long seed = Long.getLong("imgorigin.fuzz.seed", System.nanoTime());
        System.out.println("UrlFuzzTest seed " + seed);
        Random random = new Random(seed);
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_PRESETS", "thumb=c_fill,w_64,h_64",
                "IMGORIGIN_QUEUE", "1000")) {
            WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(server.port()).setKeepAlive(false));
            int sent = 0;
            for (int batch = 0; batch < 40; batch++) {
                List<String> paths = new ArrayList<>();
                List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
                for (int i = 0; i < 25; i++) {
                    String path = mutate(random, SEEDS[random.nextInt(SEEDS.length)].replace("ID", id));
                    paths.add(path);
                    answers.add(client.get(path).send());
                }
                for (int i = 0; i < answers.size(); i++) {
                    HttpResponse<Buffer> r;
                    try {
                        r = answers.get(i).await(20, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        List<String> stuck = new ArrayList<>();
                        for (int j = 0; j < answers.size(); j++) {
                            if (!answers.get(j).isComplete()) {
                                stuck.add(paths.get(j));
                            }
                        }
                        throw new AssertionError("no answer in 20 s; seed " + seed + ", unanswered " + stuck);
                    } catch (Exception e) {
                        // The client itself refuses some paths (say, a raw space): nothing reached the server.
                        continue;
                    }
                    sent++;
                    String path = paths.get(i);
                    assertThat(DOCUMENTED).as("seed %d, path %s", seed, path).contains(r.statusCode());
                    if (r.statusCode() >= 400) {
                        assertThat(r.getHeader("Content-Type")).as(path).startsWith("application/json");
                        assertThat(r.bodyAsJsonObject().getInteger("status")).isEqualTo(r.statusCode());
                        assertThat(r.bodyAsString()).doesNotContain("Exception").doesNotContain("\tat ");
                    }
                }
            }
            assertThat(sent).isGreaterThan(500);
            assertThat(client.get("/healthz").send().await(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(server.metrics().scrape()).doesNotContain("status=\"500\"");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** One to four random edits: delete, insert, duplicate or swap a stretch, or splice another seed in. */
    static String mutate(Random random, String path) {
        StringBuilder s = new StringBuilder(path);
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = s.isEmpty() ? 0 : random.nextInt(s.length());
            switch (random.nextInt(6)) {
                case 0 -> s.delete(at, Math.min(s.length(), at + 1 + random.nextInt(6)));
                case 1 -> s.insert(at, HOSTILE.charAt(random.nextInt(HOSTILE.length())));
                case 2 -> s.insert(at, s.substring(at, Math.min(s.length(), at + 1 + random.nextInt(12))));
                case 3 -> s.insert(at, Integer.toString(random.nextInt(Integer.MAX_VALUE) - random.nextInt(1000)));
                case 4 -> s.insert(at, SEEDS[random.nextInt(SEEDS.length)]);
                default -> {
                    if (s.length() > 2) {
                        int other = random.nextInt(s.length());
                        char c = s.charAt(at);
                        s.setCharAt(at, s.charAt(other));
                        s.setCharAt(other, c);
                    }
                }
            }
        }
        if (s.isEmpty() || s.charAt(0) != '/') {
            s.insert(0, '/');
        }
        return s.toString();
    }
}
