package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Past IMGORIGIN_QUEUE waiting renders the answer is 429 with Retry-After, at once; the rest
 * still succeed. A render over IMGORIGIN_RENDER_TIMEOUT is stopped and gives its worker back.
 */
class OverloadTest {
    @TempDir
    Path root;

    @Test
    void aFullQueueAnswers429AndKeepsServing() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_WORKERS", "1", "IMGORIGIN_QUEUE", "1")) {
            WebClient client = WebClient.create(vertx);
            List<Future<HttpResponse<Buffer>>> burst = new ArrayList<>();
            // Large AVIF renders take long enough that twelve at once overflow one worker and one slot.
            for (int i = 0; i < 12; i++) {
                burst.add(client.get(server.port(), "127.0.0.1", "/w_" + (2400 + i) + "/" + id + ".avif").send());
            }
            int ok = 0;
            int refused = 0;
            for (var f : burst) {
                HttpResponse<Buffer> r = f.await(120, TimeUnit.SECONDS);
                if (r.statusCode() == 429) {
                    refused++;
                    assertThat(r.getHeader("Retry-After")).isEqualTo("1");
                    assertThat(r.bodyAsJsonObject().getInteger("status")).isEqualTo(429);
                    assertThat(r.getHeader("Cache-Control")).isEqualTo("no-store");
                } else {
                    assertThat(r.statusCode()).isEqualTo(200);
                    ok++;
                }
            }
            assertThat(ok).isBetween(2, 11);
            assertThat(refused).isPositive();
            // Once the burst is over, renders are admitted again.
            assertThat(client.get(server.port(), "127.0.0.1", "/w_100/" + id + ".webp").send()
                    .await(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(server.metrics().scrape()).contains("imgorigin_requests_total{cache=\"MISS\",format=\"avif\",status=\"429\"}");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRenderOverTheTimeLimitGets503AndGivesItsWorkerBack() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_WORKERS", "1", "IMGORIGIN_RENDER_TIMEOUT", "1")) {
            WebClient client = WebClient.create(vertx);
            // ~40 s of CPU unchecked on this machine: a 6000 px upscale blurred at the strongest setting.
            String costly = "/c_scale,w_6000,h_6000,e_blur:2000/" + id + ".jpg";
            long start = System.nanoTime();
            HttpResponse<Buffer> r = client.get(server.port(), "127.0.0.1", costly).send().await(60, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.bodyAsJsonObject().getString("error")).contains("longer than the limit of 1 s");
            assertThat(r.getHeader("Cache-Control")).isEqualTo("no-store");
            assertThat(millis).as("stopped near its limit").isLessThan(15_000);
            // The one worker is free again, and nothing half-made was cached.
            assertThat(client.get(server.port(), "127.0.0.1", "/w_100/" + id + ".webp").send()
                    .await(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(client.get(server.port(), "127.0.0.1", costly).send().await(60, TimeUnit.SECONDS)
                    .getHeader("X-Cache")).isNotEqualTo("HIT-DISK").isNotEqualTo("HIT-MEMORY");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
