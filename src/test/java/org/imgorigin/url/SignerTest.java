package org.imgorigin.url;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SignerTest {
    private static final String ID = "3972b16287e595a88a50624587bccc66ece0f4c7";
    private static final String KEY = "0123456789abcdef-secret";

    @Test
    void signsAsTheSpecSays() {
        // Computed independently: base64url(HMAC-SHA256(key, "w_300/<id>.webp")) without padding, first 16.
        assertThat(Signer.of(KEY).sign("/w_300/" + ID + ".webp"))
                .isEqualTo("/s--kHYHB3nOdhS3aOJV--/w_300/" + ID + ".webp");
    }

    @Test
    void verifiesWithAnyKeyAndRefusesTampering() {
        Signer old = Signer.of(KEY);
        Signer rotated = Signer.of("a-brand-new-key-0000, " + KEY);
        String signed = old.sign("w_300/" + ID + ".webp");
        assertThat(rotated.verify(ImagePath.parse(signed, Presets.NONE))).isTrue();
        assertThat(rotated.sign("w_300/" + ID + ".webp")).isNotEqualTo(signed);
        assertThat(old.verify(ImagePath.parse(signed.replace("w_300", "w_301"), Presets.NONE))).isFalse();
        assertThat(old.verify(ImagePath.parse("/w_300/" + ID + ".webp", Presets.NONE))).isFalse();
        assertThat(old.verify(ImagePath.parse("/s--AAAAAAAAAAAAAAAA--/w_300/" + ID + ".webp", Presets.NONE))).isFalse();
        assertThat(Signer.of("another-key-entirely").verify(ImagePath.parse(signed, Presets.NONE))).isFalse();
    }

    /** With Cloudinary's prefix the signature goes after it and covers the rest, as ImagePath reads it. */
    @Test
    void signsAfterTheCloudinaryPrefix() {
        Signer signer = Signer.of(KEY);
        String plain = signer.sign("/w_300/" + ID + ".webp");
        String sig = plain.substring(0, plain.indexOf("--/") + 3); // /s--<sig>--/

        assertThat(signer.sign("/image/upload/w_300/" + ID + ".webp"))
                .isEqualTo("/image/upload" + sig + "w_300/" + ID + ".webp");
        assertThat(signer.sign("demo/image/upload/w_300/" + ID + ".webp"))
                .isEqualTo("/demo/image/upload" + sig + "w_300/" + ID + ".webp");
        for (String path : new String[] {"/image/upload/w_300/v1/" + ID, "/my-cloud/image/upload/" + ID + ".png",
                "/image/upload/c_fill,w_10,h_10/f_auto/" + ID}) {
            assertThat(signer.verify(ImagePath.parse(signer.sign(path), Presets.NONE))).as(path).isTrue();
        }
    }

    @Test
    void refusesShortKeys() {
        assertThatThrownBy(() -> Signer.of("short")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Signer.of(" , ")).isInstanceOf(IllegalArgumentException.class);
    }
}
