package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.imgorigin.faces.Box;
import org.imgorigin.faces.FaceDetector;
import org.imgorigin.faces.FaceMemory;
import org.imgorigin.faces.Grey;
import org.imgorigin.image.ImageFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code g_face} and {@code g_faces} on real faces: pictures made of the astronaut portrait
 * placed where a centred crop would cut it off, checked by running the detector again on the
 * output (a Haar cascade finds only whole faces). Needs Debian's libopencv-java and
 * opencv-data (bin/imgorigin installs them); without them the detector tests are skipped and
 * the fallback tests still run.
 */
class FaceCropTest {
    private static final FaceDetector DETECTOR = FaceDetector.system();
    private final Renderer renderer = new Renderer(RenderLimits.DEFAULTS, DETECTOR);

    /** The astronaut at the right end of a grey 1536x512 canvas: a centred square misses her. */
    private static byte[] right;
    /** Two astronauts, at x 0 and 700 of an 1800x512 canvas. */
    private static byte[] pair;

    @BeforeAll
    static void pictures() {
        BufferedImage astronaut = Fixtures.decode(Fixtures.image("astronaut.jpg"));
        right = jpeg(canvas(1536, 512, astronaut, 1024));
        pair = jpeg(canvas(1800, 512, astronaut, 0, 700));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"c_fill,g_face,w_300,h_300", "c_fill,g_face,w_400,h_225", "c_fill,g_face,w_169,h_300",
        "c_fill,g_faces,w_300,h_300", "c_lfill,g_face,w_300,h_300", "c_crop,g_face,w_300,h_300",
        "c_thumb,g_face,w_150,h_150", "c_crop,g_face,z_2,w_300,h_300"})
    void theFaceStaysWhole(String spec) throws Exception {
        assumeTrue(DETECTOR.available(), DETECTOR::describe);
        assertThat(faces(render(right, spec))).hasSize(1);
    }

    @Test
    void aLaterStageLooksForFacesInWhatTheStageBeforeMade() throws Exception {
        assumeTrue(DETECTOR.available(), DETECTOR::describe);
        byte[] out = renderer.render(right, org.imgorigin.url.TransformationParser.parseStages(
                List.of("w_900", "c_fill,g_face,w_200,h_200"), org.imgorigin.url.Presets.NONE), ImageFormat.PNG).bytes();
        assertThat(faces(out)).hasSize(1);
    }

    /** Every detection releases its OpenCV matrices: hundreds leave the process' RSS flat. */
    @Test
    void detectionsDoNotLeakNativeMemory() throws Exception {
        assumeTrue(DETECTOR.available(), DETECTOR::describe);
        // Each time other bytes after the JPEG's end, so each is an original of its own and
        // the faces are looked for again, not remembered.
        for (int i = 0; i < 50; i++) {
            render(tagged(right, i), "c_thumb,g_face,w_64,h_64");
        }
        // libvips' side: the detection copy and its grey pixels are released with the render.
        long memory = org.imgorigin.vips.Vips.trackedMemory();
        int allocations = org.imgorigin.vips.Vips.trackedAllocations();
        for (int i = 0; i < 200; i++) {
            render(tagged(right, 1000 + i), "c_thumb,g_face,w_64,h_64");
        }
        assertThat(org.imgorigin.vips.Vips.trackedAllocations() - allocations).as("libvips allocations still live")
                .isLessThan(32);
        assertThat(org.imgorigin.vips.Vips.trackedMemory()).as("libvips pixel memory").isLessThanOrEqualTo(memory);
        // OpenCV's side, on one thread: a leaked 692x231 Mat per detection would be 32 MB here.
        // (The process' RSS over many renders also counts the C allocator's per-thread arenas,
        // which grow in steps as libvips' workers touch them: in a whole-suite JVM it is no
        // measure of a leak; NativeMemoryTest bounds it for renders in general.)
        Grey grey = new Grey(692, 231, new byte[692 * 231]);
        new java.util.Random(1).nextBytes(grey.pixels());
        for (int i = 0; i < 50; i++) {
            DETECTOR.detect(grey);
        }
        long before = rssKiB() - javaCommittedKiB();
        for (int i = 0; i < 200; i++) {
            DETECTOR.detect(grey);
        }
        assertThat(rssKiB() - javaCommittedKiB() - before).as("RSS growth over 200 detections, KiB").isLessThan(8_000);
    }

    private static byte[] tagged(byte[] jpeg, int tag) {
        byte[] copy = java.util.Arrays.copyOf(jpeg, jpeg.length + 4);
        java.nio.ByteBuffer.wrap(copy, jpeg.length, 4).putInt(tag);
        return copy;
    }

    /** Heap and non-heap memory the JVM has committed, in KiB. */
    private static long javaCommittedKiB() {
        var memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        return (memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted()) / 1024;
    }

    private static long rssKiB() throws IOException {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void aCentredCropMissesTheFaceSoTheCheckCanFail() throws Exception {
        assumeTrue(DETECTOR.available(), DETECTOR::describe);
        assertThat(faces(render(right, "c_fill,w_300,h_300"))).isEmpty();
    }

    @Test
    void gFacesKeepsEveryFaceWhereACentredCropCutsOne() throws Exception {
        assumeTrue(DETECTOR.available(), DETECTOR::describe);
        assertThat(faces(render(pair, "c_fill,g_faces,w_600,h_300"))).hasSize(2);
        assertThat(faces(render(pair, "c_fill,w_600,h_300"))).hasSizeLessThan(2);
    }

    @Test
    void aThumbnailZoomsToTheFaceAndZGivesMoreAroundIt() throws Exception {
        assumeTrue(DETECTOR.available(), DETECTOR::describe);
        double fill = faceWidth(render(right, "c_fill,g_face,w_150,h_150"));
        double thumb = faceWidth(render(right, "c_thumb,g_face,w_150,h_150"));
        double wider = faceWidth(render(right, "c_thumb,g_face,w_150,h_150,z_0.7"));
        // THUMB_MARGIN 2: the face is about half the thumbnail; the fill shows the whole height.
        assertThat(fill).isLessThan(0.3);
        assertThat(thumb).isBetween(0.35, 0.75);
        assertThat(wider).isLessThan(thumb * 0.85);
    }

    @Test
    void cCropWithoutASizeIsTheFace() throws Exception {
        assumeTrue(DETECTOR.available(), DETECTOR::describe);
        RenderedImage out = renderer.render(right, Fixtures.t("c_crop,g_face,z_0.5"), ImageFormat.PNG);
        // The face is about 95 px: z_0.5 keeps twice that around it, far less than the canvas.
        assertThat(out.width()).isBetween(150, 260);
        assertThat(out.height()).isBetween(150, 260);
        assertThat(faces(out.bytes())).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"photo.jpg", "salient-right.png"})
    void noFaceMeansSaliencyAsGAuto(String fixture) throws Exception {
        byte[] source = Fixtures.image(fixture);
        assertThat(faces(source)).isEmpty();
        for (String shape : List.of("w_200,h_200", "w_300,h_100", "w_100,h_300")) {
            assertThat(render(source, "c_fill,g_face," + shape)).isEqualTo(render(source, "c_fill,g_auto," + shape));
            assertThat(render(source, "c_fill,g_faces," + shape)).isEqualTo(render(source, "c_fill,g_auto," + shape));
        }
    }

    @Test
    void withoutADetectorFacesFallBackToSaliency() throws Exception {
        FaceDetector missing = FaceDetector.openCv(Path.of("/nonexistent/opencv.jar"),
                Path.of("/nonexistent/libopencv_java.so"), Path.of("/nonexistent/cascade.xml"));
        assertThat(missing.available()).isFalse();
        assertThat(missing.describe()).contains("/nonexistent/opencv.jar", "libopencv-java", "saliency");
        Renderer without = new Renderer(RenderLimits.DEFAULTS, missing);
        assertThat(without.render(right, Fixtures.t("c_fill,g_face,w_300,h_300"), ImageFormat.PNG).bytes())
                .isEqualTo(render(right, "c_fill,g_auto,w_300,h_300"));
        assertThat(without.render(right, Fixtures.t("c_thumb,g_faces,w_150,h_150"), ImageFormat.PNG).bytes())
                .isEqualTo(render(right, "c_thumb,g_auto,w_150,h_150"));
    }

    @Test
    void theMemoryOfFacesIsBounded() {
        FaceMemory memory = new FaceMemory(2);
        FaceMemory.Key a = new FaceMemory.Key("a", 0, false);
        FaceMemory.Key b = new FaceMemory.Key("b", 0, false);
        FaceMemory.Key c = new FaceMemory.Key("c", 0, false);
        memory.put(a, List.of());
        memory.put(b, List.of(Box.ofPixels(1, 1, 2, 2, 10, 10)));
        assertThat(memory.get(a)).isPresent(); // a is now the most recently used
        memory.put(c, List.of());
        assertThat(memory.size()).isEqualTo(2);
        assertThat(memory.get(b)).isEmpty();
        assertThat(memory.get(a)).isPresent();
        assertThat(new FaceMemory.Key("a", 1, false)).isNotEqualTo(a);
    }

    @Test
    void aCorruptCascadeIsNoDetector() throws Exception {
        Path cascade = java.nio.file.Files.createTempFile("cascade", ".xml");
        try {
            java.nio.file.Files.writeString(cascade, "<opencv_storage></opencv_storage>");
            FaceDetector broken = FaceDetector.openCv(Path.of("/usr/share/java/opencv.jar"),
                    Path.of("/usr/lib/jni/libopencv_java460.so"), cascade);
            assertThat(broken.available()).isFalse();
        } finally {
            java.nio.file.Files.delete(cascade);
        }
    }

    @Test
    void anAnimationIsCutOnceForEveryFrame() throws Exception {
        byte[] out = renderer.render(Fixtures.image("small.gif"), Fixtures.t("c_fill,g_faces,w_20,h_10"), ImageFormat.GIF)
                .bytes();
        assertThat(out).isEqualTo(renderer.render(Fixtures.image("small.gif"), Fixtures.t("c_fill,g_auto,w_20,h_10"),
                ImageFormat.GIF).bytes());
    }

    /**
     * A 100-megapixel photo tiled with faces: the detector sees a shrunk-on-load copy, so the
     * render stays well inside its time limit.
     */
    @Test
    void aHugePictureOfManyFacesStaysInsideTheTimeLimit() throws Exception {
        assumeTrue(DETECTOR.available(), DETECTOR::describe);
        BufferedImage astronaut = Fixtures.decode(Fixtures.image("astronaut.jpg"));
        int[] xs = new int[20];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = i * 512;
        }
        BufferedImage strip = canvas(10240, 512, astronaut, xs);
        BufferedImage big = new BufferedImage(10240, 9728, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = big.createGraphics();
        for (int y = 0; y < big.getHeight(); y += 512) {
            g.drawImage(strip, 0, y, null);
        }
        g.dispose();
        byte[] source = jpeg(big);
        big = null;
        Renderer limited = new Renderer(new RenderLimits(120_000_000L, 8192, 40_000_000L, 2, Duration.ofSeconds(20)),
                DETECTOR);
        long start = System.nanoTime();
        RenderedImage out = limited.render(source, Fixtures.t("c_thumb,g_faces,w_300,h_300"), ImageFormat.JPEG);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(out.width()).isEqualTo(300);
        assertThat(millis).isLessThan(20_000);
        // And a limit too short for the decode is a 503, not a detector that runs on.
        Renderer hurried = new Renderer(new RenderLimits(120_000_000L, 8192, 40_000_000L, 2, Duration.ofMillis(50)),
                DETECTOR);
        assertThatThrownBy(() -> hurried.render(source, Fixtures.t("c_fill,g_faces,w_300,h_300"), ImageFormat.JPEG))
                .isInstanceOfSatisfying(RenderException.class, e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void facesAreLookedForOnlyForACropWithinTheLimits() throws Exception {
        RecordingFaceDetector counting = new RecordingFaceDetector();
        Renderer strict = new Renderer(new RenderLimits(50_000_000L, 1000, 40_000_000L, 2, Duration.ofSeconds(10)),
                counting);
        assertThatThrownBy(() -> strict.render(right, Fixtures.t("c_fill,g_face,w_2000,h_300"), ImageFormat.PNG))
                .isInstanceOfSatisfying(RenderException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThat(counting.seen()).isEmpty();
        // c_fill of one side crops nothing: no faces to look for.
        strict.render(right, Fixtures.t("c_fill,g_face,w_300"), ImageFormat.PNG);
        assertThat(counting.seen()).isEmpty();
        strict.render(right, Fixtures.t("c_fill,g_face,w_300,h_300"), ImageFormat.PNG);
        assertThat(counting.seen()).hasSize(1);
        // Every variant of one original asks once: the faces are remembered per original.
        strict.render(right, Fixtures.t("c_thumb,g_faces,w_100,h_100"), ImageFormat.WEBP);
        strict.render(right, Fixtures.t("c_fill,g_face,w_200,h_100"), ImageFormat.JPEG);
        assertThat(counting.seen()).hasSize(1);
        strict.render(pair, Fixtures.t("c_fill,g_face,w_300,h_300"), ImageFormat.PNG);
        assertThat(counting.seen()).hasSize(2);
    }

    private byte[] render(byte[] source, String spec) {
        try {
            return renderer.render(source, Fixtures.t(spec), ImageFormat.PNG).bytes();
        } catch (RenderException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The faces the detector finds in an encoded image, at its own size. */
    static List<Box> faces(byte[] encoded) {
        BufferedImage image = Fixtures.decode(encoded);
        byte[] grey = new byte[image.getWidth() * image.getHeight()];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                grey[y * image.getWidth() + x] = (byte) Math.round(0.299 * (rgb >> 16 & 0xff)
                        + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff));
            }
        }
        return DETECTOR.detect(new Grey(image.getWidth(), image.getHeight(), grey));
    }

    private static double faceWidth(byte[] encoded) {
        List<Box> found = faces(encoded);
        assertThat(found).hasSize(1);
        return found.getFirst().width();
    }

    private static BufferedImage canvas(int width, int height, BufferedImage portrait, int... xs) {
        BufferedImage canvas = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = canvas.createGraphics();
        g.setColor(new Color(0x80, 0x88, 0x90));
        g.fillRect(0, 0, width, height);
        for (int x : xs) {
            g.drawImage(portrait, x, 0, null);
        }
        g.dispose();
        return canvas;
    }

    private static byte[] jpeg(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "jpg", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
