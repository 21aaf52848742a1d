package org.imgorigin.url;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the URL grammar (the README's URL grammar) with Jazzer. Two properties:
 * any string either parses or is a {@link UrlException} (the 400 of the README's Responses), never
 * another exception; and what parses prints to a canonical form that parses to an equal value
 * and prints to itself again. (Presets, read at start-up, refuse with IllegalArgumentException.)
 *
 * <p>In a plain {@code mvn verify} each target runs once per file in
 * {@code src/test/resources/org/imgorigin/url/UrlGrammarFuzzTestInputs/<method>/} (regression
 * mode): the seeds, and every input fuzzing has found to fail. Fuzzing, one target per run:
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B verify -Dtest='UrlGrammarFuzzTest#imagePath' -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>It runs for the target's {@code maxDuration} ({@code JAZZER_MAX_DURATION=10m} overrides it)
 * or until the first failure, keeps its corpus in {@code .cifuzz-corpus/}, and writes a failing
 * input next to the seeds, where it becomes a regression case. Inputs are the fuzzer's bytes
 * read as UTF-8, so the seed files are plain text. The pom runs these targets in a JVM of their
 * own (tag {@code jazzer}): Jazzer's agent instruments every class loaded after it.
 */
class UrlGrammarFuzzTest {
    private static final Presets PRESETS = Presets.parse("thumb=c_fill,w_64,h_64;hero=w_1600,q_auto:eco,f_auto");
    private static final Signer SIGNER = Signer.of("fuzzing-key-0123456789");

    /** A transformation segment: a value or a UrlException; the canonical form is a fixed point. */
    @FuzzTest(maxDuration = "2m")
    void transformation(byte[] input) {
        String segment = new String(input, StandardCharsets.UTF_8);
        Transformation parsed;
        try {
            parsed = TransformationParser.parse(segment, PRESETS);
        } catch (UrlException expected) {
            assertThat(expected.getMessage()).isNotBlank();
            return;
        }
        assertCanonical(parsed, segment);
    }

    /** A whole request path: the same, and the canonical path signs and verifies. */
    @FuzzTest(maxDuration = "2m")
    void imagePath(byte[] input) {
        String raw = new String(input, StandardCharsets.UTF_8);
        ImagePath path;
        try {
            path = ImagePath.parse(raw, PRESETS);
        } catch (UrlException expected) {
            assertThat(expected.getMessage()).isNotBlank();
            return;
        }
        SIGNER.verify(path); // a forged or absent signature is false, never an exception
        String canonical = path.print();
        ImagePath again = ImagePath.parse(canonical, Presets.NONE);
        assertThat(again.transformation()).as(raw).isEqualTo(path.transformation());
        assertThat(again.id()).as(raw).isEqualTo(path.id());
        assertThat(again.extension()).as(raw).isEqualTo(path.extension());
        assertThat(again.print()).as(raw).isEqualTo(canonical);
        assertCanonical(path.transformation(), raw);

        ImagePath signed = ImagePath.parse(SIGNER.sign(canonical), Presets.NONE);
        assertThat(SIGNER.verify(signed)).as(raw).isTrue();
        assertThat(signed.print()).as(raw).isEqualTo(canonical);
    }

    /**
     * {@code IMGORIGIN_PRESETS}: a bad value is an IllegalArgumentException (the server refuses
     * to start, naming it), never another exception; a good one holds canonical transformations.
     */
    @FuzzTest(maxDuration = "2m")
    void presets(byte[] input) {
        String definitions = new String(input, StandardCharsets.UTF_8);
        Presets presets;
        try {
            presets = Presets.parse(definitions);
        } catch (IllegalArgumentException expected) {
            assertThat(expected.getMessage()).isNotBlank();
            return;
        }
        presets.byName().forEach((name, t) -> assertCanonical(t, definitions));
    }

    /**
     * Found by review, not by the fuzzer (it needs hundreds of exact zeros): a segment within
     * the length limit whose canonical form is not. {@code dpr_2} prints as {@code dpr_2.0} and a
     * preset prints expanded, so the printed form used to be refused when parsed back.
     * Now the segment itself is refused.
     */
    @Test
    void aSegmentWhoseCanonicalFormIsOverTheLimitIsA400() {
        String tiny = "0." + "0".repeat(323) + "49"; // Double.MIN_VALUE: every digit is printed
        String fits = "ar_0." + "0".repeat(316) + "1,dpr_2,e_blur:2000,e_sharpen:2000,h_" + tiny + ",q_100,w_" + tiny;
        assertThat(fits).hasSize(TransformationParser.MAX_LENGTH - 3);
        assertThat(TransformationPrinter.print(TransformationParser.parse(fits, PRESETS)))
                .hasSize(TransformationParser.MAX_LENGTH - 1);

        String longer = fits.replace("ar_0.", "ar_0.00"); // two more characters, printed too
        assertThat(longer.length()).isLessThanOrEqualTo(TransformationParser.MAX_LENGTH);
        assertThatThrownBy(() -> TransformationParser.parse(longer, PRESETS)).isInstanceOf(UrlException.class)
                .hasMessageContaining("canonical form is longer than 1024");
        // A short URL over a long preset: the preset is printed expanded.
        Presets presets = Presets.parse("long=" + fits.replace(",dpr_2", ""));
        assertThatThrownBy(() -> TransformationParser.parse("t_long,dpr_2,a_hflip", presets))
                .isInstanceOf(UrlException.class).hasMessageContaining("canonical form");
        // A chain whose stages each fit but whose folded stage does not.
        String fitsWithoutQuality = fits.replace(",q_100", "");
        assertThat(TransformationParser.parseStages(java.util.List.of(fitsWithoutQuality, "q_1"), PRESETS))
                .isNotNull();
        assertThatThrownBy(() -> TransformationParser.parseStages(
                java.util.List.of(fitsWithoutQuality, "q_100,f_webp,fl_attachment"), PRESETS))
                .isInstanceOf(UrlException.class).hasMessageContaining("canonical form is longer than 1024");
    }

    /** print(t) parses to t (without presets: they are printed expanded), and prints to itself. */
    private static void assertCanonical(Transformation t, String input) {
        String printed = TransformationPrinter.print(t);
        if (printed.isEmpty()) {
            assertThat(t).as(input).isEqualTo(Transformation.NONE);
            return;
        }
        Transformation again = TransformationParser.parse(printed, Presets.NONE);
        assertThat(again).as("%s printed as %s", input, printed).isEqualTo(t);
        assertThat(TransformationPrinter.print(again)).as(input).isEqualTo(printed);
    }
}
