package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.imgorigin.render.Animations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Animated GIFs through a server: uploaded, described, served animated as GIF and WebP (and by
 * {@code f_auto}), still as JPEG; frame bombs refused at upload. Outputs are read back by
 * libvips' own reader.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnimatedImagesTest {
    @TempDir
    static Path root;
    private Server server;
    private Vertx vertx;
    private WebClient client;
    private String id;

    @BeforeAll
    void start() throws Exception {
        server = TestOrigin.start(root);
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
        byte[] gif = Animations.slidingGif(ServeImagesContract.fixture("photo.jpg"), 400, 300,
                new int[] {4, 8, 12}, 0);
        HttpResponse<Buffer> upload = client.post(server.port(), "127.0.0.1", "/images")
                .putHeader("Content-Type", "image/gif").sendBuffer(Buffer.buffer(gif)).await(30, TimeUnit.SECONDS);
        assertThat(upload.statusCode()).isEqualTo(201);
        JsonObject body = upload.bodyAsJsonObject();
        assertThat(body.getInteger("frames")).isEqualTo(3);
        assertThat(body.getLong("duration_ms")).isEqualTo(240);
        id = body.getString("id");
    }

    @AfterAll
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
        server.close();
    }

    private HttpResponse<Buffer> get(String path, String accept) throws Exception {
        var request = client.get(server.port(), "127.0.0.1", path);
        if (accept != null) {
            request.putHeader("Accept", accept);
        }
        return request.send().await(30, TimeUnit.SECONDS);
    }

    @Test
    void describedWithItsFramesAndDuration() throws Exception {
        JsonObject info = get("/images/" + id, null).bodyAsJsonObject();
        assertThat(info.getInteger("frames")).isEqualTo(3);
        assertThat(info.getLong("duration_ms")).isEqualTo(240);
        assertThat(info.getInteger("width")).isEqualTo(400);
    }

    @Test
    void servedAnimatedAsGifAndWebp() throws Exception {
        for (String path : new String[] {"/w_200/" + id + ".gif", "/w_200/" + id + ".webp",
            "/image/upload/c_fill,w_120,h_120,g_auto/f_webp/" + id}) {
            HttpResponse<Buffer> r = get(path, null);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            Animations.Read read = Animations.read(r.body().getBytes());
            assertThat(read.frames()).as(path).isEqualTo(3);
            assertThat(read.delays()).as(path).containsExactly(40, 80, 120);
            assertThat(read.loop()).as(path).isZero();
        }
    }

    /** f_auto keeps the animation: WebP where accepted (even when AVIF is), else GIF. */
    @Test
    void autoFormatKeepsTheAnimation() throws Exception {
        HttpResponse<Buffer> modern = get("/w_200,f_auto/" + id, "image/avif,image/webp,*/*");
        assertThat(modern.getHeader("Content-Type")).isEqualTo("image/webp");
        assertThat(Animations.read(modern.body().getBytes()).frames()).isEqualTo(3);
        assertThat(modern.getHeader("Vary")).contains("Accept");
        HttpResponse<Buffer> old = get("/w_200,f_auto/" + id, "image/jpeg,*/*");
        assertThat(old.getHeader("Content-Type")).isEqualTo("image/gif");
        assertThat(Animations.read(old.body().getBytes()).frames()).isEqualTo(3);
    }

    @Test
    void stillFormatsGiveTheFirstFrame() throws Exception {
        HttpResponse<Buffer> jpeg = get("/w_200/" + id + ".jpg", null);
        assertThat(jpeg.statusCode()).isEqualTo(200);
        assertThat(Animations.read(jpeg.body().getBytes()).frames()).isEqualTo(1);
        HttpResponse<Buffer> second = get("/w_200,pg_2/" + id + ".gif", null);
        assertThat(Animations.read(second.body().getBytes()).frames()).isEqualTo(1);
        ServeImagesContract.assertJsonError(get("/w_200,pg_4/" + id + ".gif", null), 400, "it has 3");
    }

    /** 60 frames of 1500×1000 are 90 MP: refused at upload from the header, as the issue asks. */
    @Test
    void aFrameBombIsRefusedAtUpload() throws Exception {
        byte[] bomb = Animations.flatGif(1500, 1000, 60);
        HttpResponse<Buffer> r = client.post(server.port(), "127.0.0.1", "/images")
                .putHeader("Content-Type", "image/gif").sendBuffer(Buffer.buffer(bomb)).await(60, TimeUnit.SECONDS);
        ServeImagesContract.assertJsonError(r, 422, "90000000 pixels in 60 frames", "IMGORIGIN_MAX_SOURCE_PIXELS");
        assertThat(get("/w_10/" + id + ".gif", null).statusCode()).isEqualTo(200);
    }
}
