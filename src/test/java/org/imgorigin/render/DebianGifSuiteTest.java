package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Presets;
import org.imgorigin.url.TransformationParser;
import org.imgorigin.vips.Vips;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * Animations nobody here wrote: the GIF test suite (Robert Ancell's, as GNOME's gdk-pixbuf
 * ships it in Debian's {@code gdk-pixbuf-tests} package), each file with a description of what
 * a decoder must show: every frame's pixels (after disposal), its delay and the loop count.
 * Each animated file of the suite is rendered as GIF and as WebP at its own size, and the output
 * read back by libvips must be the source as libvips decodes it: the same frames, delays and
 * loop count, and each frame's pixels those the suite describes.
 *
 * <p>Where libvips' decoder itself reads a file otherwise than the suite (gdk-pixbuf's
 * expectations), the output is held to libvips' reading, which is what browsers show too, and
 * the test lists the difference: images without a graphic control block are frames of their
 * own (100 ms) in libvips and in Chrome, where the suite merges them into the next frame
 * ({@code animation-multi-image*}, {@code dispose-restore-previous}); a GIF without delays
 * plays at 100 ms a frame, where the suite says 0. Each invalid file of the suite gets a clear
 * 4xx or a render, never anything else. Skipped when the package cannot be downloaded
 * ({@code apt-get download} needs Debian's archive).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebianGifSuiteTest {
    private static final String PACKAGE = "gdk-pixbuf-tests";
    private final Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
    private Path suite;

    @BeforeAll
    void download() throws Exception {
        Path dir = Path.of("target", "debian", PACKAGE).toAbsolutePath();
        Path extracted = dir.resolve("root");
        if (!Files.isDirectory(extracted)) {
            Files.createDirectories(dir);
            Assumptions.assumeTrue(run(dir, "apt-get", "download", PACKAGE), "apt-get download " + PACKAGE + " failed");
            Path deb;
            try (Stream<Path> files = Files.list(dir)) {
                deb = files.filter(f -> f.toString().endsWith(".deb")).findFirst().orElseThrow();
            }
            Assumptions.assumeTrue(run(dir, "dpkg-deb", "-x", deb.toString(), extracted.toString()), "dpkg-deb -x");
        }
        try (Stream<Path> found = Files.walk(extracted)) {
            suite = found.filter(p -> p.getFileName().toString().equals("gif-test-suite")).findFirst().orElse(null);
        }
        Assumptions.assumeTrue(suite != null, "the package has no gif-test-suite");
    }

    @TestFactory
    Stream<DynamicTest> everyAnimationOfTheSuiteKeepsItsFramesDelaysLoopAndPixels() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> confs = Files.list(suite)) {
            for (Path conf : confs.filter(p -> p.toString().endsWith(".conf")).sorted().toList()) {
                Map<String, Map<String, String>> ini = ini(conf);
                Map<String, String> config = ini.get("config");
                String[] frames = config.getOrDefault("frames", "").split(",");
                if (frames.length < 2 || conf.getFileName().toString().startsWith("invalid")) {
                    continue;
                }
                tests.add(DynamicTest.dynamicTest(conf.getFileName().toString(), () ->
                        checkAnimation(suite.resolve(config.get("input")), ini, frames,
                                Integer.parseInt(config.get("width")), Integer.parseInt(config.get("height")))));
            }
        }
        assertThat(tests).hasSizeGreaterThan(5);
        return tests.stream();
    }

    private void checkAnimation(Path input, Map<String, Map<String, String>> ini, String[] frames, int width,
            int height) throws Exception {
        byte[] gif = Files.readAllBytes(input);
        Animations.Read source = Animations.read(gif);
        boolean suiteAgrees = source.frames() == frames.length;
        if (!suiteAgrees) {
            System.out.println("DebianGifSuiteTest: " + input.getFileName() + ": libvips reads " + source.frames()
                    + " frames, the suite " + frames.length + "; held to libvips' reading");
        }
        for (ImageFormat output : new ImageFormat[] {ImageFormat.GIF, ImageFormat.WEBP}) {
            String what = input.getFileName() + " as " + output;
            RenderedImage out = renderer.render(gif, TransformationParser.parse("w_" + width + ",h_" + height,
                    Presets.NONE), output);
            Animations.Read read = Animations.read(out.bytes());
            assertThat(read.frames()).as(what).isEqualTo(source.frames());
            assertThat(read.width()).as(what).isEqualTo(width);
            assertThat(read.frameHeight()).as(what).isEqualTo(height);
            assertThat(read.loop()).as(what + " loop").isEqualTo(source.loop());
            for (int i = 0; i < source.frames(); i++) {
                int delay = source.delays()[i];
                // libvips' WebP writer shows delays of 10 ms or less as 100 ms, as browsers play a GIF's.
                assertThat(read.delays()[i]).as(what + " delay of frame " + i)
                        .isEqualTo(output == ImageFormat.WEBP && delay <= 10 ? 100 : delay);
                int tolerance = output == ImageFormat.GIF ? 8 : 60;
                if (output == ImageFormat.WEBP && Math.min(width, height) < 16) {
                    continue; // lossy WebP averages colour over 2x2 blocks: a 2x2 image's colours blend
                }
                if (suiteAgrees) {
                    byte[] rgba = Files.readAllBytes(suite.resolve(ini.get(frames[i].strip()).get("pixels")));
                    if (matches(gif, i, width, height, rgba, tolerance)) {
                        assertThat(matches(out.bytes(), i, width, height, rgba, tolerance)).as(what + " frame " + i
                                + " has the suite's pixels").isTrue();
                        continue;
                    }
                    System.out.println("DebianGifSuiteTest: " + input.getFileName() + " frame " + i
                            + ": libvips decodes other pixels than the suite's; held to libvips' decoding");
                }
                byte[] decoded = rgba(gif, i, width, height);
                assertThat(matches(out.bytes(), i, width, height, decoded, tolerance)).as(what + " frame " + i
                        + " has the source's pixels as libvips decodes them").isTrue();
            }
        }
    }

    /** Frame {@code page} of an encoded animation as RGBA, as libvips decodes it. */
    private static byte[] rgba(byte[] encoded, int page, int width, int height) {
        byte[] out = new byte[width * height * 4];
        try (VipsScope scope = Vips.scope()) {
            VipsImage frame = scope.thumbnail(scope.buffer(encoded), width, height, VipsScope.Size.FORCE, true, page);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    double[] got = scope.pixel(frame, x, y);
                    int o = (y * width + x) * 4;
                    for (int c = 0; c < 3; c++) {
                        out[o + c] = (byte) Math.round(got.length >= 3 ? got[c] : got[0]);
                    }
                    out[o + 3] = (byte) Math.round(got.length == 4 || got.length == 2 ? got[got.length - 1] : 255);
                }
            }
        }
        return out;
    }

    /** Whether frame {@code page} is {@code rgba} within the tolerance (transparent pixels by alpha only). */
    private static boolean matches(byte[] encoded, int page, int width, int height, byte[] rgba, int tolerance) {
        byte[] got = rgba(encoded, page, width, height);
        for (int o = 0; o < got.length; o += 4) {
            int alpha = rgba[o + 3] & 0xFF;
            int gotAlpha = got[o + 3] & 0xFF;
            if ((alpha < 128) != (gotAlpha < 128)) {
                return false;
            }
            for (int c = 0; c < 3 && alpha >= 128; c++) {
                if (Math.abs((got[o + c] & 0xFF) - (rgba[o + c] & 0xFF)) > tolerance) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The package's larger real animations (an aeroplane, a party, a table: 9 to 56 frames, up
     * to 660×666): served animated at several widths, frames and the play's duration kept, and
     * as WebP lighter than the GIF of the same frames. The bytes are printed for docs/benchmarks.md.
     */
    @TestFactory
    Stream<DynamicTest> realAnimationsAreLighterAsWebp() throws Exception {
        Path dir = suite.getParent().getParent();
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : new String[] {"aero.gif", "1_partyanimsm2.gif", "circular-table.gif"}) {
            Path file = dir.resolve(name);
            if (!Files.exists(file)) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(name, () -> {
                byte[] gif = Files.readAllBytes(file);
                Animations.Read source = Animations.read(gif);
                StringBuilder line = new StringBuilder("DebianGifSuiteTest: " + name + " (" + source.width() + "x"
                        + source.frameHeight() + ", " + source.frames() + " frames, " + gif.length + " bytes):");
                // (At its own 660x666, the party's 45 frames are 19.8 MP: more GIF than the default
                // render time encodes, a 400.)
                for (int width : new int[] {160, 320}) {
                    var t = TransformationParser.parse("w_" + width, Presets.NONE);
                    RenderedImage asGif = renderer.render(gif, t, ImageFormat.GIF);
                    RenderedImage asWebp = renderer.render(gif, t, ImageFormat.WEBP);
                    for (RenderedImage out : new RenderedImage[] {asGif, asWebp}) {
                        // The encoders merge a frame identical to the one before into it, its delay
                        // added: fewer frames, the same play. libvips' WebP writer shows delays of
                        // 10 ms or less as 100 ms, as browsers play them in a GIF.
                        boolean webp = out == asWebp;
                        Animations.Read read = Animations.read(out.bytes());
                        assertThat(read.frames()).as(name + " w_" + width).isBetween(source.frames() * 9 / 10,
                                source.frames());
                        assertThat(java.util.Arrays.stream(read.delays()).sum()).as(name + " w_" + width + " duration")
                                .isEqualTo(java.util.Arrays.stream(source.delays()).map(d -> webp && d <= 10 ? 100 : d)
                                        .sum());
                        assertThat(read.width()).isEqualTo(width);
                    }
                    assertThat(asWebp.bytes().length).as(name + " w_" + width + " WebP lighter than GIF")
                            .isLessThan(asGif.bytes().length);
                    line.append(String.format(" w_%d GIF %d, WebP %d (%.2f);", width, asGif.bytes().length,
                            asWebp.bytes().length, (double) asWebp.bytes().length / asGif.bytes().length));
                }
                System.out.println(line);
            }));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> everyInvalidFileIsA4xxOrARender() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> gifs = Files.list(suite)) {
            for (Path gif : gifs.filter(p -> p.toString().endsWith(".gif")).sorted().toList()) {
                tests.add(DynamicTest.dynamicTest(gif.getFileName().toString(), () -> {
                    byte[] bytes = Files.readAllBytes(gif);
                    for (ImageFormat output : new ImageFormat[] {ImageFormat.GIF, ImageFormat.WEBP, ImageFormat.PNG}) {
                        try {
                            assertThat(renderer.render(bytes, TransformationParser.parse("w_50", Presets.NONE), output)
                                    .bytes()).isNotEmpty();
                        } catch (RenderException e) {
                            assertThat(e.status()).as(gif.getFileName() + " as " + output).isBetween(400, 499);
                        }
                    }
                }));
            }
        }
        return tests.stream();
    }

    /** The suite's .conf: sections of key = value. */
    private static Map<String, Map<String, String>> ini(Path conf) throws Exception {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String line : Files.readAllLines(conf)) {
            String l = line.strip();
            if (l.startsWith("[") && l.endsWith("]")) {
                current = new LinkedHashMap<>();
                sections.put(l.substring(1, l.length() - 1), current);
            } else if (current != null && l.contains("=") && !l.startsWith("#")) {
                int eq = l.indexOf('=');
                current.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
            }
        }
        return sections;
    }

    private static boolean run(Path dir, String... command) throws Exception {
        return org.imgorigin.testing.Commands.run(List.of(command), dir, 120).isPresent();
    }
}
