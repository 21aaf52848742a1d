package org.imgorigin.placeholder;

import static org.imgorigin.testing.Commands.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The BlurHash and ThumbHash encoders give what the reference implementations (the npm
 * packages {@code blurhash} by Wolt and {@code thumbhash} by Evan Wallace, installed into a
 * temporary directory) give for the same pixels: opaque and transparent, landscape and
 * portrait, smooth and noisy. Skipped when node/npm or the npm registry is not available.
 */
class PlaceholderEncodersTest {
    private static final String SCRIPT = """
            import fs from 'node:fs';
            const bh = await import('blurhash');
            const th = await import('thumbhash');
            const encode = bh.encode ?? bh.default.encode;
            const out = [];
            for (const c of JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))) {
              const rgba = Uint8ClampedArray.from(Buffer.from(c.rgba, 'base64'));
              out.push({
                blurhash: encode(rgba, c.w, c.h, 4, 3),
                blurhash11: encode(rgba, c.w, c.h, 1, 1),
                thumbhash: Buffer.from(th.rgbaToThumbHash(c.w, c.h, rgba)).toString('base64'),
              });
            }
            console.log(JSON.stringify(out));
            """;

    record Case(int w, int h, byte[] rgba) {
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        Random random = new Random(17);
        int[][] sizes = {{32, 24}, {24, 32}, {100, 100}, {1, 1}, {7, 93}, {100, 3}};
        for (int k = 0; k < sizes.length; k++) {
            int w = sizes[k][0], h = sizes[k][1];
            for (int variant = 0; variant < 3; variant++) {
                byte[] rgba = new byte[w * h * 4];
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int i = (y * w + x) * 4;
                        switch (variant) {
                            case 0 -> { // smooth gradients, opaque
                                rgba[i] = (byte) (255 * x / Math.max(1, w - 1));
                                rgba[i + 1] = (byte) (255 * y / Math.max(1, h - 1));
                                rgba[i + 2] = (byte) (128 + 100 * Math.sin(x * 0.3 + y * 0.2));
                                rgba[i + 3] = (byte) 255;
                            }
                            case 1 -> { // noise, opaque
                                rgba[i] = (byte) random.nextInt(256);
                                rgba[i + 1] = (byte) random.nextInt(256);
                                rgba[i + 2] = (byte) random.nextInt(256);
                                rgba[i + 3] = (byte) 255;
                            }
                            default -> { // a disc on transparency
                                double dx = x - w / 2.0, dy = y - h / 2.0;
                                boolean in = dx * dx + dy * dy < Math.min(w, h) * Math.min(w, h) / 5.0;
                                rgba[i] = (byte) (in ? 220 : 10);
                                rgba[i + 1] = (byte) (in ? 40 : 200);
                                rgba[i + 2] = (byte) random.nextInt(256);
                                rgba[i + 3] = (byte) (in ? 255 : random.nextInt(64));
                            }
                        }
                    }
                }
                cases.add(new Case(w, h, rgba));
            }
        }
        return cases;
    }

    @TempDir
    Path root;

    @Test
    void encodersMatchTheReferenceImplementations() throws Exception {
        List<String> install = List.of("npm", "install", "--prefix", root.toString(), "--no-audit", "--no-fund",
                "--loglevel=error", "blurhash@2", "thumbhash@0.1");
        Assumptions.assumeTrue(run(install, root, 180).isPresent(), "npm or the npm registry is not available");
        List<Case> cases = cases();
        JsonArray input = new JsonArray();
        for (Case c : cases) {
            input.add(new JsonObject().put("w", c.w()).put("h", c.h()).put("rgba", c.rgba()));
        }
        Files.writeString(root.resolve("cases.json"), input.encode());
        Files.writeString(root.resolve("reference.mjs"), SCRIPT);
        String output = run(List.of("node", root.resolve("reference.mjs").toString(),
                root.resolve("cases.json").toString()), root, 60)
                .orElseThrow(() -> new AssertionError("node could not run the reference encoders"));
        JsonArray expected = new JsonArray(output.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(expected.size()).isEqualTo(cases.size());
        for (int k = 0; k < cases.size(); k++) {
            Case c = cases.get(k);
            JsonObject reference = expected.getJsonObject(k);
            String what = "case " + k + " (" + c.w() + "x" + c.h() + ")";
            assertThat(BlurHash.encode(c.w(), c.h(), c.rgba(), 4, 3)).as(what).isEqualTo(reference.getString("blurhash"));
            assertThat(BlurHash.encode(c.w(), c.h(), c.rgba(), 1, 1)).as(what)
                    .isEqualTo(reference.getString("blurhash11"));
            assertThat(ThumbHash.encodeBase64(c.w(), c.h(), c.rgba())).as(what)
                    .isEqualTo(reference.getString("thumbhash"));
        }
    }

    @Test
    void dominantColourIsTheCommonestColourNotTheAverage() {
        // Three quarters green, one quarter red: the average would be a brown that is nowhere.
        byte[] rgba = new byte[16 * 4];
        for (int i = 0; i < 16; i++) {
            boolean red = i < 4;
            rgba[i * 4] = (byte) (red ? 250 : 20);
            rgba[i * 4 + 1] = (byte) (red ? 10 : 160);
            rgba[i * 4 + 2] = (byte) 30;
            rgba[i * 4 + 3] = (byte) 255;
        }
        assertThat(Placeholder.dominant(16, rgba)).isEqualTo("#14a01e");
        // Transparent pixels do not count, unless nothing else is there.
        for (int i = 4; i < 16; i++) {
            rgba[i * 4 + 3] = 0;
        }
        assertThat(Placeholder.dominant(16, rgba)).isEqualTo("#fa0a1e");
        for (int i = 0; i < 4; i++) {
            rgba[i * 4 + 3] = 0;
        }
        assertThat(Placeholder.dominant(16, rgba)).matches("#[0-9a-f]{6}");
    }

    @Test
    void keptPlaceholdersAreCheckedBeforeTheyAreTrusted() {
        Placeholder made = Placeholder.of(32, 24, cases().getFirst().rgba());
        assertThat(Placeholder.parse(made.json().encode())).contains(made);
        assertThat(Placeholder.parse("")).isEmpty();
        assertThat(Placeholder.parse("{\"blurhash\":\"LEHV6n\"")).isEmpty();
        assertThat(Placeholder.parse(made.json().put("colour", "red").encode())).isEmpty();
        assertThat(Placeholder.parse(made.json().put("thumbhash", "not base64!").encode())).isEmpty();
        assertThat(Placeholder.parse(made.json().put("blurhash", 7).encode())).isEmpty();
        assertThat(Placeholder.parse("[]")).isEmpty();
    }
}
