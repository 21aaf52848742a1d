package org.imgorigin.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.url.ImagePath;
import org.imgorigin.url.Presets;
import org.imgorigin.url.TransformationPrinter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NegotiatorTest {
    private static final String ID = "3972b16287e595a88a50624587bccc66ece0f4c7";
    private static final SourceInfo JPEG = new SourceInfo(ImageFormat.JPEG, 4000, 3000, 1, false, 1000);
    private static final SourceInfo PNG_ALPHA = new SourceInfo(ImageFormat.PNG, 800, 600, 1, true, 1000);
    private static final SourceInfo TIFF = new SourceInfo(ImageFormat.TIFF, 800, 600, 1, false, 1000);
    private final Negotiator negotiator = new Negotiator(8192);

    /** Columns: path, source, request headers (name=value;…), canonical result, output, Vary. */
    /** A libvips without libjxl: f_auto falls through to AVIF, WebP or the original's kind. */
    @org.junit.jupiter.api.Test
    void withoutAJpegXlEncoderFAutoSkipsIt() {
        Negotiator without = new Negotiator(8192, false);
        ImagePath path = ImagePath.parse("/f_auto,w_300/" + ID, Presets.NONE);
        MultiMap safari = MultiMap.caseInsensitiveMultiMap().add("Accept", "image/webp,image/avif,image/jxl,*/*;q=0.5");
        assertThat(without.negotiate(path, java.util.Optional.of(JPEG), safari).output()).isEqualTo(ImageFormat.AVIF);
        MultiMap onlyJxl = MultiMap.caseInsensitiveMultiMap().add("Accept", "image/jxl");
        assertThat(without.needsSource(path, onlyJxl)).isTrue();
        assertThat(without.negotiate(path, java.util.Optional.of(PNG_ALPHA), onlyJxl).output()).isEqualTo(ImageFormat.PNG);
        assertThat(negotiator.negotiate(path, java.util.Optional.of(JPEG), safari).output()).isEqualTo(ImageFormat.JXL);
    }

    @ParameterizedTest(name = "[{index}] {0} {2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            w_300/ID.webp             | jpeg  | -                                   | w_300     | webp | -
            w_300/ID                  | jpeg  | -                                   | w_300     | jpg  | -
            w_300/ID                  | png   | -                                   | w_300     | png  | -
            w_300/ID                  | tiff  | -                                   | w_300     | jpg  | -
            f_png,w_300/ID.webp       | jpeg  | -                                   | w_300     | png  | -
            f_auto,w_300/ID           | jpeg  | Accept=image/avif,image/webp,*/*    | w_300     | avif | Accept
            f_auto,w_300/ID           | jpeg  | Accept=image/webp,*/*               | w_300     | webp | Accept
            f_auto,w_300/ID           | jpeg  | Accept=image/avif;q=0,image/webp    | w_300     | webp | Accept
            f_auto,w_300/ID           | jpeg  | Accept=*/*                          | w_300     | jpg  | Accept
            w_300/ID.jxl              | jpeg  | -                                   | w_300     | jxl  | -
            f_jxl,w_300/ID            | png   | Accept=image/avif                   | w_300     | jxl  | -
            f_auto,w_300/ID           | jpeg  | Accept=image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5 | w_300 | jxl | Accept
            f_auto,w_300/ID           | png   | Accept=image/jxl                    | w_300     | jxl  | Accept
            f_auto,w_300/ID           | jpeg  | Accept=IMAGE/JXL;q=0.5              | w_300     | jxl  | Accept
            f_auto,w_300/ID           | jpeg  | Accept=image/jxl;q=0,image/avif,image/webp | w_300 | avif | Accept
            f_auto,w_300/ID           | jpeg  | Accept=image/jxl;q=0,image/webp     | w_300     | webp | Accept
            f_auto,w_300/ID           | png   | Accept=image/jxl;q=0.0              | w_300     | png  | Accept
            f_auto,q_auto,w_300/ID    | jpeg  | Accept=image/jxl;Save-Data=on       | q_auto:eco,w_300 | jxl | Accept, Save-Data
            f_auto,w_300/ID           | png   | Accept=image/jpeg                   | w_300     | png  | Accept
            w_auto/ID.jpg             | jpeg  | Sec-CH-Width=412                    | w_500     | jpg  | Sec-CH-Width, Width
            w_auto/ID.jpg             | jpeg  | Width=1000                          | w_1000    | jpg  | Sec-CH-Width, Width
            w_auto:640/ID.jpg         | jpeg  | -                                   | w_640     | jpg  | Sec-CH-Width, Width
            w_auto/ID.jpg             | jpeg  | Sec-CH-Width=junk                   | ''        | jpg  | Sec-CH-Width, Width
            w_auto/ID.jpg             | jpeg  | Sec-CH-Width=99999                  | w_8192    | jpg  | Sec-CH-Width, Width
            dpr_auto,w_300/ID.jpg     | jpeg  | Sec-CH-DPR=2.625                    | dpr_2.6,w_300 | jpg | Sec-CH-DPR, DPR
            dpr_auto,w_300/ID.jpg     | jpeg  | DPR=9                               | dpr_4.0,w_300 | jpg | Sec-CH-DPR, DPR
            dpr_auto,w_300/ID.jpg     | jpeg  | -                                   | w_300     | jpg  | Sec-CH-DPR, DPR
            dpr_auto,w_auto/ID.jpg    | jpeg  | Sec-CH-Width=800;Sec-CH-DPR=2       | w_800     | jpg  | Sec-CH-Width, Width
            q_auto,w_300/ID.webp      | jpeg  | Save-Data=on                        | q_auto:eco,w_300 | webp | Save-Data
            q_auto,w_300/ID.webp      | jpeg  | -                                   | q_auto,w_300 | webp | Save-Data
            q_80,w_300/ID.webp        | jpeg  | Save-Data=on                        | q_80,w_300 | webp | -
            """)
    void resolvesAutoForms(String path, String source, String headers, String canonical, String output, String vary) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        if (headers != null) {
            for (String pair : headers.split(";(?=[A-Z])")) {
                String[] kv = pair.split("=", 2);
                h.add(kv[0], kv[1]);
            }
        }
        SourceInfo info = switch (source) {
            case "png" -> PNG_ALPHA;
            case "tiff" -> TIFF;
            default -> JPEG;
        };
        ImagePath parsed = ImagePath.parse("/" + path.replace("ID", ID), Presets.NONE);
        Negotiated n = negotiator.negotiate(parsed, java.util.Optional.of(info), h);
        if (!negotiator.needsSource(parsed, h)) {
            // Whatever the original, the answer is the same: it can come from the cache unread.
            assertThat(negotiator.negotiate(parsed, java.util.Optional.empty(), h)).isEqualTo(n);
        }
        assertThat(TransformationPrinter.print(n.transformation())).isEqualTo(canonical);
        assertThat(n.output().extension()).isEqualTo(output);
        assertThat(n.vary().isEmpty() ? null : String.join(", ", n.vary())).isEqualTo(vary);
        assertThat(n.transformation().needsNegotiation()).isFalse();
    }
}
