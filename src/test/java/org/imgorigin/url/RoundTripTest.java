package org.imgorigin.url;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation.Angle;
import org.imgorigin.url.Transformation.Crop;
import org.imgorigin.url.Transformation.Dpr;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.url.Transformation.Quality;
import org.junit.jupiter.api.Test;

/** Property-style checks that parser and printer are inverses, over seeded random inputs. */
class RoundTripTest {
    private static final int RUNS = 20_000;
    private static final List<ImageFormat> OUTPUTS =
            java.util.Arrays.stream(ImageFormat.values()).filter(ImageFormat::writable).toList();

    @Test
    void parsingThePrintedFormGivesTheValueBack() {
        Random random = new Random(20250101L);
        for (int i = 0; i < RUNS; i++) {
            Transformation t = randomTransformation(random);
            String printed = TransformationPrinter.print(t);

            Transformation parsed = printed.isEmpty()
                    ? Transformation.NONE
                    : TransformationParser.parse(printed, Presets.NONE);

            if (!parsed.equals(t)) {
                fail("round trip of %s through '%s' gave %s", t, printed, parsed);
            }
            assertThat(TransformationPrinter.print(parsed)).isEqualTo(printed);
        }
    }

    @Test
    void printingIsStableAndIgnoresOrderAndSpelling() {
        Random random = new Random(42L);
        for (int i = 0; i < RUNS; i++) {
            List<String> params = randomParameters(random);
            if (params.isEmpty()) {
                continue;
            }
            String segment = String.join(",", params);
            Collections.shuffle(params, random);
            String shuffled = String.join(",", params);

            Transformation t = TransformationParser.parse(segment, Presets.NONE);
            String canonical = TransformationPrinter.print(t);

            assertThat(TransformationParser.parse(shuffled, Presets.NONE)).as(shuffled).isEqualTo(t);
            if (canonical.isEmpty()) {
                assertThat(t).as(segment).isEqualTo(Transformation.NONE);
            } else {
                Transformation again = TransformationParser.parse(canonical, Presets.NONE);
                assertThat(again).as(segment).isEqualTo(t);
                assertThat(TransformationPrinter.print(again)).as(segment).isEqualTo(canonical);
            }
        }
    }

    /** Anything at all either parses or is a UrlException: never another exception. */
    @Test
    void garbageIsAlwaysAUrlException() {
        Random random = new Random(7L);
        String alphabet = "whcgarqfdpebltsuoiny_:.,0123456789-+ eE%/AZ";
        int parsed = 0;
        for (int i = 0; i < RUNS; i++) {
            StringBuilder text = new StringBuilder();
            int length = 1 + random.nextInt(20);
            for (int j = 0; j < length; j++) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            try {
                TransformationParser.parse(text.toString(), Presets.NONE);
                parsed++;
            } catch (UrlException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
        assertThat(parsed).isLessThan(RUNS);
    }

    static Transformation randomTransformation(Random r) {
        TransformationFixture f = TransformationFixture.none();
        if (r.nextBoolean()) {
            f.width(randomLength(r, true));
        }
        if (r.nextBoolean()) {
            f.height(randomLength(r, false));
        }
        f.crop(pick(r, Crop.values()));
        f.gravity(pick(r, Gravity.values()));
        if (r.nextBoolean()) {
            if (r.nextBoolean()) {
                f.aspectRatio(1 + r.nextInt(30), 1 + r.nextInt(30), true);
            } else if (r.nextBoolean()) {
                f.aspectRatio(positive(r) * 10, positive(r) * 10, true);
            } else {
                f.aspectRatio(positive(r) * 5, 1.0, false);
            }
        }
        switch (r.nextInt(3)) {
            case 0 -> f.quality(new Quality.Fixed(1 + r.nextInt(100)));
            case 1 -> f.quality(new Quality.Auto(pick(r, Quality.Level.values())));
            default -> { }
        }
        switch (r.nextInt(3)) {
            case 0 -> f.format(OUTPUTS.get(r.nextInt(OUTPUTS.size())));
            case 1 -> f.formatAuto();
            default -> { }
        }
        switch (r.nextInt(4)) {
            case 0 -> f.dpr(new Dpr.Fixed(1.0 + 3.0 * r.nextDouble()));
            case 1 -> f.dpr(new Dpr.Fixed(1 + r.nextInt(4)));
            case 2 -> f.dpr(new Dpr.Auto());
            default -> { }
        }
        if (r.nextBoolean()) {
            f.blur(strength(r));
        }
        if (r.nextBoolean()) {
            f.sharpen(strength(r));
        }
        if (r.nextBoolean()) {
            f.grayscale();
        }
        if (r.nextBoolean()) {
            f.angle(pick(r, Angle.values()));
        }
        if (r.nextBoolean()) {
            f.background(r.nextInt(256), r.nextInt(256), r.nextInt(256));
        }
        if (r.nextBoolean()) {
            f.progressive();
        }
        if (r.nextBoolean()) {
            f.attachment();
        }
        Transformation.Builder more = f.more;
        if (f.crop == Crop.CROP && !f.gravity.byContent() && r.nextBoolean()) {
            more.x = java.util.Optional.of(r.nextBoolean() ? new Transformation.Offset.Pixels(r.nextInt(5000))
                    : new Transformation.Offset.Fraction((1 + r.nextInt(100)) / 100.0));
            more.y = java.util.Optional.of(new Transformation.Offset.Pixels(r.nextInt(5000)));
        }
        if ((f.crop == Crop.CROP || (f.crop == Crop.THUMB && f.width.isPresent() && f.height.isPresent()))
                && r.nextBoolean()) {
            more.zoom = java.util.Optional.of(1.0 + r.nextInt(90) / 10.0);
        }
        for (int i = r.nextInt(4); i > 0; i--) {
            Effect effect = pick(r, Effect.values());
            int value = !effect.takesValue() || r.nextBoolean() ? effect.defaultValue()
                    : effect.min() + r.nextInt(effect.max() - effect.min() + 1);
            more.effect(effect, value);
        }
        if (r.nextInt(4) == 0) {
            more.radius = java.util.Optional.of(r.nextBoolean() ? new Transformation.Radius.Max()
                    : new Transformation.Radius.Pixels(1 + r.nextInt(10_000)));
        }
        if (r.nextInt(4) == 0) {
            more.border = java.util.Optional.of(new Transformation.Border(1 + r.nextInt(1000),
                    new Transformation.Rgb(r.nextInt(256), r.nextInt(256), r.nextInt(256))));
        }
        if (r.nextInt(4) == 0) {
            more.opacity = OptionalInt.of(r.nextInt(101));
        }
        if (r.nextInt(4) == 0) {
            more.page = OptionalInt.of(1 + r.nextInt(10_000));
        }
        if (r.nextInt(4) == 0) {
            more.defaultImage = java.util.Optional.of(new org.imgorigin.image.ImageId(
                    String.format("%016x", r.nextLong())));
        }
        return f.build();
    }

    /** Chains of stages print with '/' and parse back, stage by stage, to the same value. */
    @Test
    void chainsRoundTrip() {
        Random random = new Random(314L);
        for (int i = 0; i < RUNS / 4; i++) {
            Transformation last = randomTransformation(random);
            List<Transformation> earlier = new ArrayList<>();
            for (int j = random.nextInt(4); j > 0; j--) {
                Transformation stage = randomTransformation(random).pixelsOnly();
                if (!stage.equals(Transformation.NONE) && !stage.needsNegotiation()) {
                    earlier.add(stage);
                }
            }
            if (last.pixelsOnly().equals(Transformation.NONE)) {
                continue; // a delivery-only final stage folds into the one before it
            }
            java.util.function.Predicate<Transformation> ignoresOrientation =
                    stage -> stage.angle().filter(a -> a == Angle.IGNORE).isPresent();
            if (earlier.stream().skip(1).anyMatch(ignoresOrientation)
                    || (!earlier.isEmpty() && ignoresOrientation.test(last))) {
                continue; // a_ignore belongs to the first stage: a 400 elsewhere
            }
            List<Transformation> all = new ArrayList<>(earlier);
            all.add(last);
            long heavy = java.util.stream.IntStream.range(0, all.size())
                    .filter(k -> TransformationParser.heavy(all.get(k), k == 0)).count();
            if (heavy > TransformationParser.MAX_HEAVY_STAGES) {
                continue; // a 400 by rule
            }
            Transformation t = last.after(earlier);
            String printed = TransformationPrinter.print(t);
            if (printed.length() > TransformationParser.MAX_LENGTH) {
                continue;
            }
            Transformation parsed = TransformationParser.parseStages(List.of(printed.split("/")), Presets.NONE);
            if (!parsed.equals(t)) {
                fail("round trip of %s through '%s' gave %s", t, printed, parsed);
            }
        }
    }

    private static Length randomLength(Random r, boolean width) {
        return switch (r.nextInt(width ? 5 : 4)) {
            case 0 -> new Length.Pixels(1 + r.nextInt(10_000));
            case 1 -> new Length.Pixels(1 + r.nextInt(Integer.MAX_VALUE));
            case 2 -> new Length.Fraction(positive(r));
            case 3 -> new Length.Fraction((1 + r.nextInt(100)) / 100.0);
            default -> new Length.Auto(r.nextBoolean() ? OptionalInt.empty() : OptionalInt.of(1 + r.nextInt(5000)));
        };
    }

    private static int strength(Random r) {
        // The default strength deserves to be hit often: it prints without ':n'.
        return r.nextInt(4) == 0 ? Effect.BLUR.defaultValue() : 1 + r.nextInt(2000);
    }

    /** In (0, 1]. */
    private static double positive(Random r) {
        return 1.0 - r.nextDouble();
    }

    private static <T> T pick(Random r, T[] values) {
        return values[r.nextInt(values.length)];
    }

    /** Valid parameters in random, often non-canonical, spellings; each at most once. */
    private static List<String> randomParameters(Random r) {
        List<String> p = new ArrayList<>();
        if (r.nextBoolean()) {
            p.add(switch (r.nextInt(4)) {
                case 0 -> "w_" + zeros(r) + (1 + r.nextInt(4000));
                case 1 -> "w_0." + (1 + r.nextInt(99)) + "0".repeat(r.nextInt(3));
                case 2 -> "w_auto";
                default -> "w_auto:" + zeros(r) + (1 + r.nextInt(4000));
            });
        }
        if (r.nextBoolean()) {
            p.add(r.nextBoolean() ? "h_" + (1 + r.nextInt(4000)) : "h_1." + "0".repeat(1 + r.nextInt(3)));
        }
        if (r.nextBoolean()) {
            p.add("c_" + pick(r, Crop.values()).code());
        }
        if (r.nextBoolean()) {
            p.add("g_" + pick(r, Gravity.values()).code());
        }
        if (r.nextBoolean()) {
            p.add(r.nextBoolean()
                    ? "ar_" + zeros(r) + (1 + r.nextInt(21)) + ":" + (1 + r.nextInt(21))
                    : "ar_" + (1 + r.nextInt(3)) + "." + r.nextInt(100) + "0".repeat(r.nextInt(2)));
        }
        if (r.nextBoolean()) {
            p.add(switch (r.nextInt(3)) {
                case 0 -> "q_" + (1 + r.nextInt(100));
                case 1 -> "q_auto";
                default -> "q_auto:" + pick(r, Quality.Level.values()).code();
            });
        }
        if (r.nextBoolean()) {
            p.add("f_" + pick(r, new String[] {"jpg", "jpeg", "png", "webp", "avif", "gif", "jxl", "auto"}));
        }
        if (r.nextBoolean()) {
            p.add("dpr_" + pick(r, new String[] {"1", "1.0", "1.5", "2", "2.0", "2.50", "3", "4.0", "auto"}));
        }
        if (r.nextBoolean()) {
            p.add(r.nextBoolean() ? "e_blur" : "e_blur:" + (1 + r.nextInt(2000)));
        }
        if (r.nextBoolean()) {
            p.add(r.nextBoolean() ? "e_sharpen" : "e_sharpen:" + zeros(r) + (1 + r.nextInt(2000)));
        }
        if (r.nextBoolean()) {
            p.add("e_grayscale");
        }
        if (r.nextBoolean()) {
            p.add("a_" + pick(r, Angle.values()).code());
        }
        if (r.nextBoolean()) {
            String hex = String.format("%06x", r.nextInt(0x1000000));
            p.add("b_rgb:" + (r.nextBoolean() ? hex.toUpperCase(java.util.Locale.ROOT) : hex));
        }
        if (r.nextBoolean()) {
            p.add("fl_progressive");
        }
        if (r.nextBoolean()) {
            p.add("fl_attachment");
        }
        if (p.contains("c_crop") && !p.contains("g_auto") && !p.contains("g_face") && !p.contains("g_faces") && r.nextBoolean()) {
            p.add("x_" + zeros(r) + r.nextInt(3000));
            p.add(r.nextBoolean() ? "y_0." + r.nextInt(100) : "y_" + r.nextInt(3000));
            p.add("z_" + (1 + r.nextInt(9)) + (r.nextBoolean() ? "." + r.nextInt(10) : ""));
        }
        if (r.nextInt(3) == 0) {
            p.add("e_" + pick(r, new String[] {"brightness", "contrast:-30", "saturation:-100", "sepia:80", "negate",
                "pixelate", "pixelate:7", "trim:0", "trim"}));
        }
        if (r.nextInt(3) == 0) {
            p.add(r.nextBoolean() ? "r_max" : "r_" + zeros(r) + (1 + r.nextInt(500)));
        }
        if (r.nextInt(3) == 0) {
            p.add("bo_" + (1 + r.nextInt(50)) + "px_solid_" + pick(r, new String[] {"black", "Red", "rgb:00FF00"}));
        }
        if (r.nextInt(3) == 0) {
            p.add("o_" + r.nextInt(101));
        }
        if (r.nextInt(3) == 0) {
            p.add("pg_" + (1 + r.nextInt(9)));
        }
        if (r.nextInt(3) == 0) {
            p.add("co_" + pick(r, new String[] {"white", "rgb:123456"}));
        }
        return p;
    }

    private static String zeros(Random r) {
        return "0".repeat(r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0);
    }
}
