package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.imgorigin.render.Animations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /images/<id>} carries the original's placeholder (BlurHash, ThumbHash, dominant
 * colour), made once, kept on disk beside the cache, reused after a restart, made again when
 * the kept file is malformed, and forgotten when the image is deleted.
 */
class PlaceholdersTest {
    private static final String ADMIN = "placeholder-admin";

    @TempDir
    Path root;
    private Vertx vertx;
    private WebClient client;

    @BeforeEach
    void client() {
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private Server start() throws Exception {
        return TestOrigin.start(root, "IMGORIGIN_ADMIN_TOKEN", ADMIN);
    }

    private String upload(Server server, byte[] bytes, String type) throws Exception {
        HttpResponse<Buffer> answer = client.post(server.port(), "127.0.0.1", "/images").putHeader("Content-Type", type)
                .sendBuffer(Buffer.buffer(bytes)).await(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isIn(200, 201);
        return answer.bodyAsJsonObject().getString("id");
    }

    private JsonObject placeholder(Server server, String id) throws Exception {
        HttpResponse<Buffer> answer = client.get(server.port(), "127.0.0.1", "/images/" + id).send()
                .await(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
        JsonObject placeholder = answer.bodyAsJsonObject().getJsonObject("placeholder");
        assertThat(placeholder).as(answer.bodyAsString()).isNotNull();
        assertThat(placeholder.fieldNames()).containsExactlyInAnyOrder("blurhash", "thumbhash", "colour");
        // 4 x 3 components: a size flag, a maximum, 4 of DC, 2 for each of 11 ACs.
        assertThat(placeholder.getString("blurhash")).hasSize(28).matches("[0-9A-Za-z#$%*+,\\-.:;=?@\\[\\]^_{|}~]+");
        assertThat(java.util.Base64.getDecoder().decode(placeholder.getString("thumbhash"))).hasSizeBetween(5, 30);
        assertThat(placeholder.getString("colour")).matches("#[0-9a-f]{6}");
        return placeholder;
    }

    private Path kept(String id) {
        return root.resolve("cache").resolve("state").resolve("placeholders").resolve(id.substring(0, 2))
                .resolve(id + ".json");
    }

    @Test
    void keptAcrossRestartsRemadeWhenMalformedAndForgottenOnDelete() throws Exception {
        byte[] photo = ServeImagesContract.fixture("photo.jpg");
        String id;
        JsonObject made;
        try (Server server = start()) {
            id = upload(server, photo, "image/jpeg");
            made = placeholder(server, id);
            assertThat(placeholder(server, id)).isEqualTo(made);
            assertThat(kept(id)).exists();
            assertThat(new JsonObject(Files.readString(kept(id)))).isEqualTo(made);
            // The README's other LQIP recipe: a tiny blurred variant.
            var tiny = client.get(server.port(), "127.0.0.1", "/w_32,e_blur:200,q_30/" + id + ".webp").send()
                    .await(30, TimeUnit.SECONDS);
            assertThat(tiny.statusCode()).isEqualTo(200);
            assertThat(tiny.getHeader("Content-Type")).isEqualTo("image/webp");
            assertThat(ServeImagesContract.inspect(tiny).width()).isEqualTo(32);
            assertThat(tiny.body().length()).isLessThan(2_000);
        }
        // After a restart it comes from the disk: a (valid) placeholder put there is what is answered.
        JsonObject planted = made.copy().put("colour", "#123456");
        Files.writeString(kept(id), planted.encode());
        try (Server server = start()) {
            assertThat(placeholder(server, id)).isEqualTo(planted);
        }
        // A malformed file is not trusted: the placeholder is made again, the same, and kept again.
        Files.writeString(kept(id), "{\"blurhash\": \"LKO2?U%2Tw=w]~RBVZRi};RPxuwH\", \"thumbh");
        try (Server server = start()) {
            assertThat(placeholder(server, id)).isEqualTo(made);
            assertThat(new JsonObject(Files.readString(kept(id)))).isEqualTo(made);

            var deleted = client.delete(server.port(), "127.0.0.1", "/images/" + id).bearerTokenAuthentication(ADMIN)
                    .send().await(30, TimeUnit.SECONDS);
            assertThat(deleted.statusCode()).isEqualTo(204);
            assertThat(kept(id)).doesNotExist();
            ServeImagesContract.assertJsonError(client.get(server.port(), "127.0.0.1", "/images/" + id).send()
                    .await(30, TimeUnit.SECONDS), 404);
        }
    }

    @Test
    void aPurgeForgetsItAndTheNextRequestMakesItAgain() throws Exception {
        try (Server server = start()) {
            String id = upload(server, ServeImagesContract.fixture("alpha.png"), "image/png");
            JsonObject made = placeholder(server, id);
            var purged = client.post(server.port(), "127.0.0.1", "/admin/purge/" + id).bearerTokenAuthentication(ADMIN)
                    .send().await(30, TimeUnit.SECONDS);
            assertThat(purged.statusCode()).isEqualTo(200);
            assertThat(kept(id)).doesNotExist();
            assertThat(placeholder(server, id)).isEqualTo(made);
            assertThat(kept(id)).exists();
        }
    }

    @Test
    void anAnimationHasThePlaceholderOfItsFirstFrame() throws Exception {
        byte[] gif = Animations.slidingGif(ServeImagesContract.fixture("photo.jpg"), 400, 300, new int[] {4, 8, 12}, 0);
        try (Server server = start()) {
            String id = upload(server, gif, "image/gif");
            JsonObject animated = placeholder(server, id);
            // The first frame alone, as a still PNG: the same pixels, the same placeholder.
            var first = client.get(server.port(), "127.0.0.1", "/pg_1/" + id + ".png").send().await(30, TimeUnit.SECONDS);
            assertThat(first.statusCode()).isEqualTo(200);
            String still = upload(server, first.body().getBytes(), "image/png");
            assertThat(placeholder(server, still)).isEqualTo(animated);
        }
    }
}
