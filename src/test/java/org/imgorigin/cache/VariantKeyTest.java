package org.imgorigin.cache;

import static org.assertj.core.api.Assertions.assertThat;

import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.junit.jupiter.api.Test;

class VariantKeyTest {
    private static final ImageId ID = new ImageId("3972b16287e595a88a50624587bccc66ece0f4c7");

    @Test
    void aVariantIsNamedByItsCanonicalTransformation() {
        VariantKey key = new VariantKey(ID, "q_80,w_300", ImageFormat.WEBP);
        assertThat(key.fileName()).isEqualTo("q_80,w_300.webp");
        assertThat(key.relativePath()).isEqualTo("3972/b1/3972b16287e595a88a50624587bccc66ece0f4c7/q_80,w_300.webp");
        assertThat(new VariantKey(ID, "", ImageFormat.PNG).fileName()).isEqualTo("original.png");
        assertThat(key.etag()).matches("\"[0-9a-f]{32}\"")
                .isEqualTo(new VariantKey(ID, "q_80,w_300", ImageFormat.WEBP).etag())
                .isNotEqualTo(new VariantKey(ID, "q_80,w_301", ImageFormat.WEBP).etag());
    }

    /** A cache file is named with its format's extension, JPEG XL's too. */
    @Test
    void theFileNameEndsWithTheFormatsExtension() {
        for (ImageFormat format : ImageFormat.values()) {
            if (format.writable()) {
                assertThat(new VariantKey(ID, "w_300", format).fileName()).isEqualTo("w_300." + format.extension());
            }
        }
        assertThat(new VariantKey(ID, "w_300", ImageFormat.JXL).fileName()).isEqualTo("w_300.jxl");
    }

    /** Linux file names stop at 255 bytes; a long transformation still gets a cache file of its own. */
    @Test
    void aTransformationTooLongForAFileNameIsNamedByItsDigest() {
        String longOne = "b_rgb:ffffff,c_fill,e_blur:2000,e_sharpen:100,g_south_east,h_1000,w_1000,".repeat(4) + "q_80";
        VariantKey key = new VariantKey(ID, longOne, ImageFormat.AVIF);
        assertThat(key.fileName()).matches("t-[0-9a-f]{32}\\.avif");
        assertThat(new VariantKey(ID, longOne + "0", ImageFormat.AVIF).fileName()).isNotEqualTo(key.fileName());
        assertThat(new VariantKey(ID, longOne, ImageFormat.WEBP).fileName()).endsWith(".webp");
    }
}
