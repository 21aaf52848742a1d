package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.Mezzanine;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.imgorigin.render.ImageDistance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mezzanines through HTTP, black-box: made at the second render of an original larger than
 * {@code IMGORIGIN_MEZZANINE} (800 here, under the 1200×675 fixture), or the first after an
 * upload's eager variants, later variants rendered
 * from it with a direct render's exact dimensions and within the quality bound (luma SSIM ≥
 * 0.99, PSNR ≥ 40 dB against a server without mezzanines, on lossless PNG outputs), a file cut
 * short, corrupted or of another size made again, purge and delete removing it.
 */
class MezzanineTest {
    static final double MIN_SSIM = 0.99;
    static final double MIN_PSNR = 40;
    static final String TOKEN = "mezz-admin";

    @TempDir
    Path root;
    Vertx vertx;
    WebClient client;
    String photo;
    byte[] photoBytes;
    Server direct;

    @BeforeEach
    void seed() throws Exception {
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
        photoBytes = ServeImagesContract.fixture("photo.jpg");
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            photo = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(photoBytes)).substring(0, 40);
            store.put(new ImageId(photo), photoBytes, "image/jpeg");
        }
        // The yardstick: the same originals, no mezzanines.
        direct = start("direct", "IMGORIGIN_MEZZANINE", "0");
    }

    @AfterEach
    void close() throws Exception {
        direct.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private Server start(String cache, String... extra) throws Exception {
        String[] base = {"IMGORIGIN_CACHE_DIR", root.resolve(cache).toString(), "IMGORIGIN_MEMORY_CACHE_BYTES", "0", "IMGORIGIN_ADMIN_TOKEN", TOKEN, "IMGORIGIN_MEZZANINE", "800"};
        return TestOrigin.start(root, java.util.stream.Stream.concat(java.util.Arrays.stream(base),
                java.util.Arrays.stream(extra)).toArray(String[]::new));
    }

    private HttpResponse<Buffer> get(Server server, String path) throws Exception {
        return client.get(server.port(), "127.0.0.1", path).send().await(60, TimeUnit.SECONDS);
    }

    private Path mezzanineFile() {
        return root.resolve("cache").resolve("originals").resolve(new ImageId(photo).storageKey() + ".mezzanine");
    }

    private static long count(Server server, String outcome) {
        Matcher m = Pattern.compile("imgorigin_mezzanine_total\\{outcome=\"" + outcome + "\"} (\\d+)")
                .matcher(server.metrics().scrape());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** The variant from the server under test against the direct render: same size, within the bound. */
    private void assertLikeDirect(Server server, String transformation) throws Exception {
        String url = "/" + transformation + "/" + photo + ".png";
        HttpResponse<Buffer> got = get(server, url);
        HttpResponse<Buffer> want = get(direct, url);
        assertThat(got.statusCode()).as(url).isEqualTo(200);
        assertThat(want.statusCode()).as(url).isEqualTo(200);
        BufferedImage a = ImageIO.read(new ByteArrayInputStream(got.body().getBytes()));
        BufferedImage b = ImageIO.read(new ByteArrayInputStream(want.body().getBytes()));
        assertThat(a.getWidth() + "x" + a.getHeight()).as(url).isEqualTo(b.getWidth() + "x" + b.getHeight());
        assertThat(ImageDistance.ssim(a, b)).as(url + " SSIM").isGreaterThanOrEqualTo(MIN_SSIM);
        assertThat(ImageDistance.psnr(a, b)).as(url + " PSNR").isGreaterThanOrEqualTo(MIN_PSNR);
    }

    /** Two renders of the photo: the second makes its mezzanine. */
    private void prime(Server server) throws Exception {
        assertThat(get(server, "/w_100/" + photo + ".webp").statusCode()).isEqualTo(200);
        assertThat(get(server, "/w_101/" + photo + ".webp").statusCode()).isEqualTo(200);
        assertThat(mezzanineFile()).exists();
    }

    @Test
    void madeAtTheSecondRenderThenLaterVariantsComeFromItAtTheDirectRendersSize() throws Exception {
        try (Server server = start("cache")) {
            assertLikeDirect(server, "w_640");
            assertThat(mezzanineFile()).as("one render: none, the original was all it needed").doesNotExist();
            assertThat(count(server, "used")).isZero();
            assertLikeDirect(server, "w_600");
            assertThat(mezzanineFile()).exists();
            assertThat(count(server, "made")).isEqualTo(1);
            assertThat(count(server, "used")).isEqualTo(1);
            // The file holds an 800×450 JPEG, whole.
            SourceInfo info = new SourceInfo(org.imgorigin.image.ImageFormat.JPEG, 1200, 675, 1, false,
                    photoBytes.length);
            Mezzanine kept = Mezzanine.fromFile(Files.readAllBytes(mezzanineFile()), info, 800).orElseThrow();
            assertThat(kept.width() + "x" + kept.height()).isEqualTo("800x450");
            for (String t : new String[] {"w_320", "w_333,h_201,c_fill", "w_300,h_300,c_fill,g_north_east",
                "w_200,h_200,c_thumb,g_auto", "w_500,h_100,c_pad,b_red", "w_0.5", "w_400,ar_1:1,c_lfill"}) {
                long used = count(server, "used");
                assertLikeDirect(server, t);
                assertThat(count(server, "used")).as(t).isEqualTo(used + 1);
            }
            assertThat(count(server, "made")).as("one decode of the original for all of them").isEqualTo(1);
        }
    }

    @Test
    void rendersThatNeedTheOriginalNeitherCountNorMakeOne() throws Exception {
        try (Server server = start("cache")) {
            // Larger than the 800 px mezzanine, a crop at full resolution, the original as it
            // is, a trim: each needs the original's own pixels, so none counts as a render a
            // mezzanine would have served, and none makes one.
            for (String path : new String[] {"/w_1000/" + photo + ".webp", "/w_1100/" + photo + ".webp",
                "/c_crop,w_300,h_200,x_400,y_150/" + photo + ".webp", "/" + photo + ".png",
                "/e_trim,w_300/" + photo + ".webp"}) {
                assertThat(get(server, path).statusCode()).as(path).isEqualTo(200);
            }
            assertThat(mezzanineFile()).doesNotExist();
            assertThat(count(server, "made")).isZero();
            // The first render that could use one is still a first render...
            assertLikeDirect(server, "w_300");
            assertThat(mezzanineFile()).doesNotExist();
            // ...and the second makes it.
            assertLikeDirect(server, "w_301");
            assertThat(count(server, "made")).isEqualTo(1);
            assertThat(mezzanineFile()).exists();
        }
    }

    @Test
    void aMezzanineThatCannotBeMadeIsNotTriedAtEveryRender() throws Exception {
        // The 800×450 mezzanine is more than a render may hold under this output limit, so it
        // cannot be made; the renders go on from the original, and only the first one tries.
        try (Server server = start("cache", "IMGORIGIN_MAX_OUTPUT_PIXELS", "300000")) {
            for (int w = 300; w < 306; w++) {
                assertLikeDirect(server, "w_" + w);
            }
            assertThat(count(server, "failed")).as("tried once, then left alone for a while").isEqualTo(1);
            assertThat(count(server, "made")).isZero();
            assertThat(count(server, "used")).isZero();
            assertThat(mezzanineFile()).doesNotExist();
        }
    }

    @Test
    void cropsWithOffsetsAreExactFromTheMezzanineOrDoNotUseIt() throws Exception {
        try (Server server = start("cache")) {
            prime(server);
            // Zoomed out by half, the region's offsets are in the half-size image: from the mezzanine.
            long used = count(server, "used");
            assertLikeDirect(server, "c_crop,w_300,h_200,x_400,y_150,z_0.5");
            assertLikeDirect(server, "c_crop,w_0.4,h_0.3,x_0.5,y_0.5,z_0.6,g_south_east");
            assertThat(count(server, "used")).isEqualTo(used + 2);
            // A crop at full size needs the original's own pixels: never the mezzanine, the same bytes.
            for (String t : new String[] {"c_crop,w_300,h_200,x_400,y_150", "w_1000", "e_trim,w_300", "a_ignore,w_300"}) {
                used = count(server, "used");
                String url = "/" + t + "/" + photo + ".png";
                byte[] got = get(server, url).body().getBytes();
                byte[] want = get(direct, url).body().getBytes();
                if (t.startsWith("a_ignore")) {
                    // The fixture is upright: a_ignore changes nothing, so the mezzanine may serve it.
                    assertLikeDirect(server, t);
                    continue;
                }
                assertThat(got).as(t).isEqualTo(want);
                assertThat(count(server, "used")).as(t).isEqualTo(used);
            }
        }
    }

    @Test
    void aMezzanineCutShortCorruptedOrOfAnotherSizeIsMadeAgain() throws Exception {
        // None held in memory: every render reads the file.
        try (Server server = start("cache", "IMGORIGIN_MEZZANINE_MEMORY_BYTES", "0")) {
            prime(server);
            byte[] good = Files.readAllBytes(mezzanineFile());

            Files.write(mezzanineFile(), java.util.Arrays.copyOf(good, good.length / 2));
            assertLikeDirect(server, "w_321");
            assertThat(count(server, "rejected")).isEqualTo(1);
            assertThat(Files.readAllBytes(mezzanineFile())).as("made again").isEqualTo(good);

            byte[] flipped = good.clone();
            flipped[flipped.length / 3] ^= 0x55;
            Files.write(mezzanineFile(), flipped);
            assertLikeDirect(server, "w_322");
            assertThat(count(server, "rejected")).isEqualTo(2);

            // Whole and well-formed, but of another edge (a stale file): not trusted either.
            byte[] other = new Renderer(RenderLimits.DEFAULTS).mezzanine(photoBytes, 700).orElseThrow().toFile();
            Files.write(mezzanineFile(), other);
            assertLikeDirect(server, "w_323");
            assertThat(count(server, "rejected")).isEqualTo(3);

            // An empty one (a crash before its bytes reached the disk) is removed and made again.
            Files.write(mezzanineFile(), new byte[0]);
            assertLikeDirect(server, "w_324");
            assertThat(Files.readAllBytes(mezzanineFile())).isEqualTo(good);
            assertThat(count(server, "made")).isEqualTo(5);
        }
    }

    private static double memoryBytes(Server server) {
        Matcher m = Pattern.compile("(?m)^imgorigin_mezzanine_memory_bytes (\\S+)$").matcher(server.metrics().scrape());
        assertThat(m.find()).as("the gauge of held mezzanines").isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void theMezzanineJustMadeIsHeldInMemoryWithinItsBoundAndPurgeDropsIt() throws Exception {
        long pixels = 800L * 450 * 3;
        try (Server server = start("cache")) {
            prime(server);
            assertThat(memoryBytes(server)).as("its pixels and its JPEG").isGreaterThan(pixels)
                    .isLessThan(pixels + 2.0 * Files.size(mezzanineFile()));
            // The next renders read the pixels held, not the file: a corrupted file goes unnoticed.
            byte[] flipped = Files.readAllBytes(mezzanineFile());
            flipped[flipped.length / 3] ^= 0x55;
            Files.write(mezzanineFile(), flipped);
            long used = count(server, "used");
            // w_150 and w_120 shrink the 800 px pixels more than 4 times (a box, then one Lanczos pass).
            for (String t : new String[] {"w_320", "w_150", "w_120,h_120,c_fill", "w_700,h_300,c_fill,g_south"}) {
                assertLikeDirect(server, t);
            }
            assertThat(count(server, "used")).isEqualTo(used + 4);
            assertThat(count(server, "rejected")).as("the file was not read").isZero();
            assertThat(count(server, "made")).isEqualTo(1);

            var purged = client.post(server.port(), "127.0.0.1", "/admin/purge/" + photo)
                    .bearerTokenAuthentication(TOKEN).send().await(30, TimeUnit.SECONDS);
            assertThat(purged.statusCode()).isEqualTo(200);
            assertThat(memoryBytes(server)).as("purged from memory too").isZero();
            assertLikeDirect(server, "w_330");
            assertThat(count(server, "used")).as("purged: the next render is a first again").isEqualTo(used + 4);
        }
        // A bound of one mezzanine's pixels alone (its JPEG counts too) holds none: the renders after it read the file.
        try (Server server = start("cache", "IMGORIGIN_MEZZANINE_MEMORY_BYTES", String.valueOf(pixels))) {
            prime(server);
            assertThat(memoryBytes(server)).isZero();
            assertLikeDirect(server, "w_320");
            assertThat(count(server, "used")).isEqualTo(2);
        }
    }

    @Test
    void purgeAndDeleteRemoveIt() throws Exception {
        try (Server server = start("cache")) {
            prime(server);
            var purged = client.post(server.port(), "127.0.0.1", "/admin/purge/" + photo)
                    .bearerTokenAuthentication(TOKEN).send().await(30, TimeUnit.SECONDS);
            assertThat(purged.statusCode()).isEqualTo(200);
            assertThat(mezzanineFile()).doesNotExist();

            assertLikeDirect(server, "w_200");
            assertThat(mezzanineFile()).as("purged: the next render is a first again").doesNotExist();
            assertLikeDirect(server, "w_201");
            assertThat(mezzanineFile()).exists();
            var deleted = client.delete(server.port(), "127.0.0.1", "/images/" + photo)
                    .bearerTokenAuthentication(TOKEN).send().await(30, TimeUnit.SECONDS);
            assertThat(deleted.statusCode()).isEqualTo(204);
            assertThat(mezzanineFile()).doesNotExist();
        }
    }

    @Test
    void aBurstOfWidthsSharesOneDecode() throws Exception {
        // The mezzanine's own sharing: with a busy node, the waiting ones could be taken into a
        // burst from one decode of the original instead (BurstTest).
        try (Server server = start("cache", "IMGORIGIN_BURST", "1")) {
            List<Future<HttpResponse<Buffer>>> burst = new ArrayList<>();
            for (int w : new int[] {320, 480, 640, 720, 800}) {
                burst.add(client.get(server.port(), "127.0.0.1", "/w_" + w + "/" + photo + ".webp").send());
            }
            for (var f : burst) {
                assertThat(f.await(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(count(server, "made")).isEqualTo(1);
            assertThat(count(server, "used")).as("all but the first, which came from the original").isEqualTo(4);
        }
    }

    @Test
    void anUploadsEagerVariantsShareOneDecodeAndTheNextRenderMakesTheMezzanine() throws Exception {
        try (Server server = start("cache", "IMGORIGIN_EAGER", "f_webp,w_300;f_webp,w_500;f_webp,w_700;f_png,w_0.5")) {
            byte[] upload = java.util.Arrays.copyOf(photoBytes, photoBytes.length + 7);
            System.arraycopy("mezz-up".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, upload,
                    photoBytes.length, 7);
            var created = client.post(server.port(), "127.0.0.1", "/images").putHeader("Content-Type", "image/jpeg")
                    .sendBuffer(Buffer.buffer(upload)).await(60, TimeUnit.SECONDS);
            assertThat(created.statusCode()).isEqualTo(201);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!server.metrics().scrape().contains("imgorigin_eager_renders_total{outcome=\"ok\"} 4")) {
                assertThat(System.nanoTime()).as("eager variants rendered").isLessThan(deadline);
                Thread.sleep(50);
            }
            // The eager set rendered from one decode of its own (EagerSharedDecodeTest), not a mezzanine...
            assertThat(server.metrics().scrape()).contains("imgorigin_eager_decodes_total 1");
            assertThat(count(server, "made")).isZero();
            // ...and counts as the original's first render: the next one makes the mezzanine.
            String id = created.bodyAsJsonObject().getString("id");
            assertThat(get(server, "/w_400/" + id + ".webp").statusCode()).isEqualTo(200);
            assertThat(count(server, "made")).isEqualTo(1);
            assertThat(count(server, "used")).isEqualTo(1);
        }
    }

    @Test
    void aRotatedOriginalsMezzanineIsUprightAndAIgnoreDoesNotUseIt() throws Exception {
        // The photo with EXIF orientation 6: displayed 675×1200.
        byte[] app1 = {
            (byte) 0xFF, (byte) 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
            'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,
            0x00, 0x01,
            0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 6, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
        };
        byte[] rotated = new byte[photoBytes.length + app1.length];
        System.arraycopy(photoBytes, 0, rotated, 0, 2);
        System.arraycopy(app1, 0, rotated, 2, app1.length);
        System.arraycopy(photoBytes, 2, rotated, 2 + app1.length, photoBytes.length - 2);
        photo = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(rotated)).substring(0, 40);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(photo), rotated, "image/jpeg");
        }
        try (Server server = start("cache")) {
            prime(server);
            SourceInfo info = new SourceInfo(org.imgorigin.image.ImageFormat.JPEG, 675, 1200, 1, false, rotated.length);
            Mezzanine kept = Mezzanine.fromFile(Files.readAllBytes(mezzanineFile()), info, 800).orElseThrow();
            assertThat(kept.width() + "x" + kept.height()).isEqualTo("450x800");
            for (String t : new String[] {"w_300", "h_500,w_300,c_fill,g_south"}) {
                long used = count(server, "used");
                assertLikeDirect(server, t);
                assertThat(count(server, "used")).as(t).isEqualTo(used + 1);
            }
            long used = count(server, "used");
            String url = "/a_ignore,w_300/" + photo + ".png";
            assertThat(get(server, url).body().getBytes()).isEqualTo(get(direct, url).body().getBytes());
            assertThat(count(server, "used")).as("a_ignore of a rotated original: from the original").isEqualTo(used);
        }
    }

    @Test
    void smallOriginalsAndOriginalsWithAlphaGetNone() throws Exception {
        byte[] alpha = ServeImagesContract.fixture("alpha.png");
        String id;
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(alpha)).substring(0, 40);
            store.put(new ImageId(id), alpha, "image/png");
        }
        try (Server server = start("cache", "IMGORIGIN_MEZZANINE", "300")) {
            assertThat(get(server, "/w_100/" + id + ".png").statusCode()).isEqualTo(200);
            assertThat(get(server, "/w_101/" + id + ".png").statusCode()).isEqualTo(200);
            assertThat(count(server, "made")).isZero();
            // The control: the photo, larger than 300 px, gets one.
            assertThat(get(server, "/w_100/" + photo + ".png").statusCode()).isEqualTo(200);
            assertThat(get(server, "/w_101/" + photo + ".png").statusCode()).isEqualTo(200);
            assertThat(count(server, "made")).isEqualTo(1);
        }
        try (Server server = start("cache2", "IMGORIGIN_MEZZANINE", "2560")) {
            assertThat(get(server, "/w_100/" + photo + ".png").statusCode()).isEqualTo(200);
            assertThat(get(server, "/w_101/" + photo + ".png").statusCode()).isEqualTo(200);
            assertThat(count(server, "made")).isZero();
        }
    }
}
