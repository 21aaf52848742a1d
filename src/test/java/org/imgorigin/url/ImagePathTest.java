package org.imgorigin.url;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ImagePathTest {
    static final String ID = "3972b16287e595a88a50624587bccc66ece0f4c7";
    static final Presets PRESETS = Presets.parse("thumb=c_fill,w_150,h_150;hero=w_1600,q_auto:eco");

    /** path | signature ('' for none) | signed part | transformation (canonical) | extension ('' for none) | canonical path. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            /ID                          | ''   | ID                     | ''                 | ''   | /ID
            /ID.jpg                      | ''   | ID.jpg                 | ''                 | jpg  | /ID.jpg
            /ID.jpeg                     | ''   | ID.jpeg                | ''                 | jpg  | /ID.jpg
            /ID.png                      | ''   | ID.png                 | ''                 | png  | /ID.png
            /ID.webp                     | ''   | ID.webp                | ''                 | webp | /ID.webp
            /ID.avif                     | ''   | ID.avif                | ''                 | avif | /ID.avif
            /ID.gif                      | ''   | ID.gif                 | ''                 | gif  | /ID.gif
            /w_300/ID                    | ''   | w_300/ID               | w_300              | ''   | /w_300/ID
            /w_300,q_80/ID.webp          | ''   | w_300,q_80/ID.webp     | q_80,w_300         | webp | /q_80,w_300/ID.webp
            /c_scale/ID.png              | ''   | c_scale/ID.png         | ''                 | png  | /ID.png
            /t_thumb/ID                  | ''   | t_thumb/ID             | c_fill,h_150,w_150 | ''   | /c_fill,h_150,w_150/ID
            /s--abc--/w_300/ID.webp      | abc  | w_300/ID.webp          | w_300              | webp | /w_300/ID.webp
            /s--abc--/ID                 | abc  | ID                     | ''                 | ''   | /ID
            /s--Ab_-09xyzXYZ12Q--/f_jpeg,w_0.50/ID.jpeg | Ab_-09xyzXYZ12Q | f_jpeg,w_0.50/ID.jpeg | f_jpg,w_0.5 | jpg | /f_jpg,w_0.5/ID.jpg
            /image/upload/ID             | ''   | image/upload/ID        | ''                 | ''   | /ID
            /image/upload/w_300/ID.webp  | ''   | image/upload/w_300/ID.webp | w_300          | webp | /w_300/ID.webp
            /image/upload/w_300/v123/ID.webp | '' | image/upload/w_300/v123/ID.webp | w_300    | webp | /w_300/ID.webp
            /image/upload/v1712345678/ID.jpg | '' | image/upload/v1712345678/ID.jpg | ''       | jpg  | /ID.jpg
            /demo/image/upload/w_300/v1/ID.webp | '' | demo/image/upload/w_300/v1/ID.webp | w_300 | webp | /w_300/ID.webp
            /my-cloud_1/image/upload/ID  | ''   | my-cloud_1/image/upload/ID | ''             | ''   | /ID
            /image/image/upload/ID       | ''   | image/image/upload/ID  | ''                 | ''   | /ID
            /v123/ID.png                 | ''   | v123/ID.png            | ''                 | png  | /ID.png
            /w_300/v123/ID               | ''   | w_300/v123/ID          | w_300              | ''   | /w_300/ID
            /image/upload/s--abc--/w_300/v9/ID.webp | abc | w_300/v9/ID.webp | w_300          | webp | /w_300/ID.webp
            /demo/image/upload/s--abc--/ID | abc | ID                    | ''                 | ''   | /ID
            """)
    void takesTheParts(String rawPath, String signature, String signedPart, String transformation,
            String extension, String canonical) {
        ImagePath path = ImagePath.parse(rawPath.replace("ID", ID), PRESETS);

        assertThat(path.signature()).isEqualTo(signature.isEmpty() ? Optional.empty() : Optional.of(signature));
        assertThat(path.signedPart()).isEqualTo(signedPart.replace("ID", ID));
        assertThat(TransformationPrinter.print(path.transformation())).isEqualTo(transformation);
        assertThat(path.id()).isEqualTo(new ImageId(ID));
        assertThat(path.extension())
                .isEqualTo(extension.isEmpty() ? Optional.empty() : ImageFormat.ofExtension(extension));
        assertThat(path.print()).isEqualTo(canonical.replace("ID", ID));
        // The canonical path reads back as the same request, without its signature.
        ImagePath again = ImagePath.parse(path.print(), Presets.NONE);
        assertThat(again.transformation()).isEqualTo(path.transformation());
        assertThat(again.extension()).isEqualTo(path.extension());
        assertThat(again.signature()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"0123456789abcdef", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
    void acceptsIdsOfSixteenToSixtyFourHexCharacters(String id) {
        assertThat(ImagePath.parse("/" + id + ".png", Presets.NONE).id().value()).isEqualTo(id);
    }

    @Test
    void equivalentPathsAreOneVariant() {
        ImagePath a = ImagePath.parse("/w_300,q_80/" + ID + ".jpeg", Presets.NONE);
        ImagePath b = ImagePath.parse("/q_80,w_300/" + ID + ".jpg", Presets.NONE);

        assertThat(a.transformation()).isEqualTo(b.transformation());
        assertThat(a.extension()).isEqualTo(b.extension());
        assertThat(a.print()).isEqualTo(b.print()).isEqualTo("/q_80,w_300/" + ID + ".jpg");
        // ... but the signature covers what was written, not the canonical form.
        assertThat(a.signedPart()).isNotEqualTo(b.signedPart());
    }

    /** Cloudinary's delivery shape is the same variant as today's form: one canonical path. */
    @Test
    void cloudinaryPrefixAndVersionAreTheSameVariant() {
        String plain = ImagePath.parse("/w_300/" + ID + ".webp", Presets.NONE).print();

        assertThat(ImagePath.parse("/image/upload/w_300/v123/" + ID + ".webp", Presets.NONE).print()).isEqualTo(plain);
        assertThat(ImagePath.parse("/demo/image/upload/w_300/" + ID + ".webp", Presets.NONE).print()).isEqualTo(plain);
        assertThat(ImagePath.parse("/w_300/v5/" + ID + ".webp", Presets.NONE).print()).isEqualTo(plain);
    }

    /** path of a chain | the canonical path of the single stage it folds into. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            /c_fill,g_auto,h_400,w_400/f_auto/q_auto/ID      | /c_fill,f_auto,g_auto,h_400,q_auto,w_400/ID
            /image/upload/f_auto/q_auto/c_fill,h_400,w_400/ID | /c_fill,f_auto,h_400,q_auto,w_400/ID
            /image/upload/c_scale,w_300/dpr_2.0/v1/ID.webp   | /dpr_2.0,w_300/ID.webp
            /w_300/fl_progressive/ID.jpg                     | /fl_progressive,w_300/ID.jpg
            /f_auto/q_auto/ID                                | /f_auto,q_auto/ID
            /c_scale/dpr_1.0/w_300/ID                        | /w_300/ID
            /c_scale/ID                                      | /ID
            /w_300/c_scale/ID                                | /w_300/ID
            /t_thumb/f_auto/ID                               | /c_fill,f_auto,h_150,w_150/ID
            /c_scale/c_scale/c_scale/c_scale/c_scale/c_scale/c_scale/c_scale/q_auto/w_1/ID | /q_auto,w_1/ID
            /image/upload/c_fill,h_200,w_200/e_blur:300/f_auto/ID | /c_fill,h_200,w_200/e_blur:300,f_auto/ID
            /w_100/c_crop,h_50,w_50/ID.png                   | /w_100/c_crop,h_50,w_50/ID.png
            /r_max/f_png/w_300/ID                            | /r_max/f_png,w_300/ID
            /e_trim/pg_2/c_scale/w_300,d_0123456789abcdef/ID | /e_trim/d_0123456789abcdef,pg_2,w_300/ID
            /w_300/e_negate/e_negate/ID                      | /w_300/e_negate/e_negate/ID
            /image/upload/c_fill,g_north%5Feast,w_10,h_10/ID  | /c_fill,g_north_east,h_10,w_10/ID
            /b_rgb%3aff0000%2Cc_pad,w_10,h_10/ID             | /b_rgb:ff0000,c_pad,h_10,w_10/ID
            /b_rgb_FF0000,c_pad,w_10,h_10/ID                 | /b_rgb:ff0000,c_pad,h_10,w_10/ID
            """)
    void chainsFoldIntoOneStage(String rawPath, String canonical) {
        ImagePath path = ImagePath.parse(rawPath.replace("ID", ID), PRESETS);

        assertThat(path.print()).isEqualTo(canonical.replace("ID", ID));
        assertThat(ImagePath.parse(path.print(), Presets.NONE).transformation()).isEqualTo(path.transformation());
    }

    @Test
    void orderOfStagesAndInsideThemDoesNotMatter() {
        String a = ImagePath.parse("/image/upload/c_fill,g_auto,h_400,w_400/f_auto/q_auto/" + ID, PRESETS).print();
        String b = ImagePath.parse("/q_auto/w_400,c_fill,h_400,g_auto/f_auto/" + ID, PRESETS).print();
        String c = ImagePath.parse("/f_auto,q_auto,g_auto,w_400,h_400,c_fill/" + ID, PRESETS).print();

        assertThat(a).isEqualTo(b).isEqualTo(c);
    }

    /** Every path in the README's URL grammar examples parses; the README and the parser agree. */
    @Test
    void theReadmeExamplesParse() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        int start = readme.indexOf("Examples:\n\n```\n");
        assertThat(start).isPositive();
        String block = readme.substring(start, readme.indexOf("\n```\n", start + "Examples:\n\n```\n".length()));
        var paths = block.lines().filter(l -> l.startsWith("/")).map(l -> l.split("\\s+")[0]).toList();
        assertThat(paths).hasSizeGreaterThan(5).anyMatch(p -> p.contains("/image/upload/"));
        for (String example : paths) {
            assertThat(ImagePath.parse(example.replace("<id>", ID), Presets.NONE).id().value()).as(example).isEqualTo(ID);
        }
        assertThat(ImagePath.parse("/demo/image/upload/c_pad,w_600,h_600,b_black/v1/" + ID + ".png", Presets.NONE).print())
                .isEqualTo(ImagePath.parse("/w_600,h_600,c_pad,b_rgb:000000/" + ID + ".png", Presets.NONE).print());
    }

    @Test
    void formatsCanonicalPaths() {
        ImageId id = new ImageId(ID);

        assertThat(ImagePath.format(Transformation.NONE, id, Optional.empty())).isEqualTo("/" + ID);
        assertThat(ImagePath.format(Transformation.NONE, id, Optional.of(ImageFormat.AVIF)))
                .isEqualTo("/" + ID + ".avif");
        assertThat(ImagePath.format(TransformationParser.parse("h_10,c_pad", Presets.NONE), id,
                Optional.of(ImageFormat.JPEG))).isEqualTo("/c_pad,h_10/" + ID + ".jpg");
    }

    static Stream<Arguments> rejections() {
        String bigId = "0123456789abcdef".repeat(4);
        return Stream.of(
                arguments("", "path", "must start with '/'"),
                arguments("ID", "path", "must start with '/'"),
                arguments("/", "path", "empty segment"),
                arguments("//ID", "path", "empty segment"),
                arguments("/w_300//ID", "path", "empty segment"),
                arguments("/ID/", "path", "empty segment"),
                arguments("/s--abc--//ID", "path", "empty segment"),
                arguments("/%33972b16287e595a88a50624587bccc66ece0f4c7", "path", "percent-encoded"),
                arguments("/w_300%2Fh_200/ID", "path", "except %3A, %5F and %2C"),
                arguments("/w_300%2/ID", "path", "percent-encoded"),
                arguments("/w_300%/ID", "path", "percent-encoded"),
                arguments("/w_300/ID%2Ejpg", "path", "percent-encoded"),
                arguments("/ID.jpg%00", "path", "percent-encoded"),
                arguments("/" + "a".repeat(ImagePath.MAX_LENGTH), "path", "longer than 2048"),
                arguments("/w_auto/e_blur/ID", "w", "w_auto in stage 'w_auto'"),
                arguments("/w_300/w_100,a_ignore/ID", "a_ignore", "belongs to the first stage"),
                arguments("/e_blur/a_90/e_sharpen/ID", "transformation", "at most 2 stages of a chain may blur"),
                arguments("/c_fill,g_auto,w_9,h_9/w_99/e_trim/a_vflip/ID", "transformation",
                        "3 do: 'c_fill,g_auto,w_9,h_9', 'e_trim', 'a_vflip'"),
                arguments("/c_fill,g_face,w_9,h_9/c_thumb,g_faces,w_8,h_8/c_fill,g_auto,w_7,h_7/ID", "transformation",
                        "3 do: 'c_fill,g_face,w_9,h_9', 'c_thumb,g_faces,w_8,h_8', 'c_fill,g_auto,w_7,h_7'"),
                arguments("/w_300/pg_1/pg_2/ID", "pg_2", "'pg_' is given in stage 'pg_1' and in stage 'pg_2'"),
                arguments("/image/upload/c_fill,w_auto,h_400/e_blur:100/ID", "w",
                        "the width from client hints is for the last stage"),
                arguments("/a/b/c/ID", "a", "unknown parameter 'a'"),
                arguments("/w_300/q_80/q_auto/ID", "q_auto", "'q_' is given in stage 'q_80' and in stage 'q_auto'"),
                arguments("/w_300,f_png/f_auto/ID", "f_auto", "'f_' is given in stage 'w_300,f_png' and in stage 'f_auto'"),
                arguments("/fl_progressive/w_1,fl_progressive/ID", "fl_progressive", "'fl_progressive' is given in stage 'fl_progressive'"),
                arguments("/q_80/t_hero/ID", "t_hero", "'q_' is given in stage 'q_80' and in stage 't_hero'"),
                arguments("/" + "c_scale/".repeat(10) + "w_1/ID", "transformation", "at most 10 stages, got 11"),
                arguments("/s--abc--", "id", "no image id"),
                arguments("/s----/ID", "signature", "invalid signature 's----'"),
                arguments("/s--ab+c--/ID", "signature", "base64url"),
                arguments("/s--abc/ID", "signature", "invalid signature 's--abc'"),
                arguments("/s--abc--/s--def--/ID", "s--def--", "unknown parameter 's--def--'"),
                arguments("/ID.JPG", "extension", "invalid extension 'JPG'"),
                arguments("/ID.heic", "extension", "invalid extension 'heic'"),
                arguments("/ID.tiff", "extension", "invalid extension 'tiff'"),
                arguments("/ID.", "extension", "invalid extension ''"),
                arguments("/ID.jpg.png", "extension", "invalid extension 'jpg.png'"),
                arguments("/ID.jpg?x=1", "extension", "invalid extension 'jpg?x=1'"),
                arguments("/" + ID.toUpperCase(java.util.Locale.ROOT) + ".jpg", "id", "lowercase hex"),
                arguments("/0123456789abcde.jpg", "id", "invalid id '0123456789abcde'"),
                arguments("/" + bigId + "0.jpg", "id", "16 to 64"),
                arguments("/xyz.jpg", "id", "invalid id 'xyz'"),
                arguments("/.jpg", "id", "invalid id ''"),
                arguments("/w_300", "id", "invalid id 'w_300'"),
                arguments("/ID/w_300", "id", "invalid id 'w_300'"),
                arguments("/w_abc/ID.jpg", "w_abc", "invalid parameter 'w_abc'"),
                arguments("/t_nope/ID", "t_nope", "unknown preset 'nope'"),
                arguments("/w_300,/ID", "", "empty parameter"),
                arguments("/s--abc--/image/upload/ID", "signature", "stands after it"),
                arguments("/image/upload", "id", "invalid id 'upload'"),
                arguments("/image/upload/s--abc--", "id", "no image id"),
                arguments("/Demo/image/upload/ID", "Demo", "unknown parameter 'Demo'"),
                arguments("/a/b/image/upload/ID", "a", "unknown parameter 'a'"),
                arguments("/image/upload/v12/v34/ID", "v12", "unknown parameter 'v12'"),
                arguments("/image/upload/ID/v12", "id", "invalid id 'v12'"),
                arguments("/image/upload/v/ID", "v", "unknown parameter 'v'"),
                arguments("/image/upload/v1x/ID", "v1x", "unknown parameter 'v1x'"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("rejections")
    void rejectsNamingThePart(String rawPath, String part, String messageFragment) {
        assertThatThrownBy(() -> ImagePath.parse(rawPath.replace("ID", ID), PRESETS))
                .isInstanceOfSatisfying(UrlException.class, e -> {
                    assertThat(e.parameter()).isEqualTo(part);
                    assertThat(e.getMessage()).contains(messageFragment);
                });
    }

    @Test
    void garbagePathsAreAlwaysAUrlException() {
        Random random = new Random(11L);
        String alphabet = "/s-_.,%0123456789abcdefwq:ABjpgn";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(60);
            for (int j = 0; j < length; j++) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            try {
                ImagePath path = ImagePath.parse(text.toString(), Presets.NONE);
                assertThat(path.signedPart()).isNotEmpty();
            } catch (UrlException expected) {
                assertThat(expected.parameter()).isNotNull();
            }
        }
    }
}
