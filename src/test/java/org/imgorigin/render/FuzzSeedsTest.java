package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.imgorigin.vips.Vips;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The seed corpus of the image fuzz targets ({@code ImageFormatFuzzTest}, {@code DecodeFuzzTest},
 * {@code UploadFuzzTest}, {@code LoaderAgreementFuzzTest}): small real images made from the photos in
 * {@code src/test/resources/images}, then broken the ways hostile or damaged uploads are
 * (truncated, bit-flipped headers, empty, a JPEG declaring 65500×65500, PNGs with a bad CRC,
 * a GIF with an overlong LZW code size, WebPs whose RIFF size lies, AVIFs with a truncated or
 * lying box, a TIFF whose IFD is past the end). Regenerate (after changing this class) with
 *
 * <pre>
 * mvn -B test -Dtest=FuzzSeedsTest -Dimgorigin.writeFuzzSeeds=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>which replaces the {@code seed-*} files (fuzzer findings, named {@code crash-*}, stay).
 * Otherwise the class only checks that the committed corpus stays small.
 */
class FuzzSeedsTest {
    static final Path RESOURCES = Path.of("src/test/resources/org/imgorigin");
    /** Target directories for whole files, and for the sniffer (first 32 bytes only). */
    static final List<Path> WHOLE = List.of(
            RESOURCES.resolve("render/DecodeFuzzTestInputs/inspect"),
            RESOURCES.resolve("render/DecodeFuzzTestInputs/render"),
            RESOURCES.resolve("upload/UploadFuzzTestInputs/upload"),
            RESOURCES.resolve("vips/LoaderAgreementFuzzTestInputs/header"));
    static final Path SNIFF = RESOURCES.resolve("image/ImageFormatFuzzTestInputs/sniff");
    static final long MAX_TOTAL_BYTES = 400_000;

    @Test
    void theCommittedCorpusIsSmall() throws IOException {
        long total = 0;
        for (Path dir : Stream.concat(WHOLE.stream(), Stream.of(SNIFF)).toList()) {
            if (!Files.isDirectory(dir)) {
                continue; // run from another working directory: nothing to check
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    total += Files.size(file);
                }
            }
        }
        assertThat(total).as("bytes of fuzz seeds and findings").isLessThan(MAX_TOTAL_BYTES);
    }

    @Test
    @EnabledIfSystemProperty(named = "imgorigin.writeFuzzSeeds", matches = "true")
    void write() throws IOException {
        Map<String, byte[]> seeds = seeds();
        for (Path dir : WHOLE) {
            replaceSeeds(dir, seeds, Integer.MAX_VALUE);
        }
        replaceSeeds(SNIFF, seeds, 32);
    }

    private static void replaceSeeds(Path dir, Map<String, byte[]> seeds, int limit) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> old = Files.list(dir)) {
            for (Path file : old.filter(f -> f.getFileName().toString().startsWith("seed-")).toList()) {
                Files.delete(file);
            }
        }
        Map<String, byte[]> distinct = new LinkedHashMap<>();
        seeds.forEach((name, bytes) -> {
            byte[] cut = Arrays.copyOf(bytes, Math.min(limit, bytes.length));
            if (distinct.values().stream().noneMatch(b -> Arrays.equals(b, cut))) {
                distinct.put(name, cut);
            }
        });
        for (var seed : distinct.entrySet()) {
            Files.write(dir.resolve("seed-" + seed.getKey()), seed.getValue());
        }
    }

    /** Every seed by name, valid images first. */
    static Map<String, byte[]> seeds() throws IOException {
        Map<String, byte[]> valid = new LinkedHashMap<>();
        try (VipsScope scope = Vips.scope()) {
            // A fresh thumbnail for each save: a thumbnail is loaded sequentially, read once.
            valid.put("jpeg", scope.saveJpeg(thumb(scope, "photo.jpg", 48), 70, false));
            valid.put("jpeg-progressive", scope.saveJpeg(thumb(scope, "photo.jpg", 48), 70, true));
            valid.put("png", scope.savePng(thumb(scope, "alpha.png", 32), false));
            valid.put("png-interlaced", scope.savePng(thumb(scope, "photo.jpg", 32), true));
            valid.put("webp", scope.saveWebp(thumb(scope, "alpha.png", 32), 60));
            valid.put("gif", scope.saveGif(thumb(scope, "small.gif", 24)));
            valid.put("avif", scope.saveAvif(thumb(scope, "photo.jpg", 48), 40, 0));
            // Written, never read: every JPEG XL seed must be refused (415), however broken.
            valid.put("jxl", scope.saveJxl(thumb(scope, "photo.jpg", 48), 60, 5));
        }
        valid.put("tiff", tiff());

        Map<String, byte[]> seeds = new LinkedHashMap<>(valid);
        seeds.put("empty", new byte[0]);
        for (var image : valid.entrySet()) {
            String name = image.getKey();
            byte[] bytes = image.getValue();
            if (name.endsWith("-progressive") || name.endsWith("-interlaced")) {
                continue;
            }
            for (int cut : new int[] {8, 16, 40, bytes.length / 2, bytes.length - 2}) {
                seeds.put(name + "-cut-" + cut, Arrays.copyOf(bytes, cut));
            }
            for (int offset : new int[] {13, 21, 30, 47}) {
                byte[] flipped = bytes.clone();
                flipped[offset] ^= (byte) (1 << (offset % 8));
                seeds.put(name + "-flip-" + offset, flipped);
            }
        }
        seeds.put("jpeg-65500x65500", jpegDeclaring(valid.get("jpeg"), 65500, 65500));
        seeds.put("jpeg-0x0", jpegDeclaring(valid.get("jpeg"), 0, 0));
        seeds.put("png-bad-ihdr-crc", pngCorruptCrc(valid.get("png"), "IHDR"));
        seeds.put("png-bad-idat-crc", pngCorruptCrc(valid.get("png"), "IDAT"));
        seeds.put("png-40000x40000", pngDeclaring(valid.get("png"), 40000, 40000));
        seeds.put("gif-lzw-code-size-12", gifLzwCodeSize(valid.get("gif"), 12));
        seeds.put("gif-lzw-code-size-255", gifLzwCodeSize(valid.get("gif"), 255));
        seeds.put("webp-riff-size-huge", withInt(valid.get("webp"), 4, 0x7FFFFFF0, true));
        seeds.put("webp-riff-size-small", withInt(valid.get("webp"), 4, 12, true));
        seeds.put("avif-meta-box-huge", withInt(valid.get("avif"), boxOffset(valid.get("avif"), "meta"), 0x7FFFFFF0, false));
        seeds.put("avif-cut-in-meta", Arrays.copyOf(valid.get("avif"), boxOffset(valid.get("avif"), "meta") + 40));
        seeds.put("avif-brand-avis", withAscii(valid.get("avif"), 8, "avis"));
        seeds.put("tiff-ifd-past-end", withInt(valid.get("tiff"), 4, 0x7FFFFFF0,
                valid.get("tiff")[0] == 'I'));
        return seeds;
    }

    private static VipsImage thumb(VipsScope scope, String fixture, int size) {
        return scope.thumbnail(scope.buffer(Fixtures.image(fixture)), size, size, VipsScope.Size.BOTH, false);
    }

    private static byte[] tiff() throws IOException {
        BufferedImage image = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 24; x++) {
                image.setRGB(x, y, (x * 10) << 16 | (y * 15) << 8 | 0x40);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "tiff", out)) {
            throw new IllegalStateException("the JDK has no TIFF writer");
        }
        return out.toByteArray();
    }

    /** The JPEG with its SOF's height and width replaced. */
    private static byte[] jpegDeclaring(byte[] jpeg, int width, int height) {
        byte[] out = jpeg.clone();
        int i = 2;
        while (i + 4 < out.length && (out[i] & 0xFF) == 0xFF) {
            int marker = out[i + 1] & 0xFF;
            int length = (out[i + 2] & 0xFF) << 8 | (out[i + 3] & 0xFF);
            if (marker >= 0xC0 && marker <= 0xC2) {
                out[i + 5] = (byte) (height >> 8);
                out[i + 6] = (byte) height;
                out[i + 7] = (byte) (width >> 8);
                out[i + 8] = (byte) width;
                return out;
            }
            i += 2 + length;
        }
        throw new IllegalStateException("no SOF in the JPEG");
    }

    private static int pngChunk(byte[] png, String type) {
        int i = 8;
        while (i + 8 <= png.length) {
            int length = ByteBuffer.wrap(png, i, 4).getInt();
            if (new String(png, i + 4, 4, StandardCharsets.US_ASCII).equals(type)) {
                return i;
            }
            i += 12 + length;
        }
        throw new IllegalStateException("no " + type + " chunk");
    }

    private static byte[] pngCorruptCrc(byte[] png, String type) {
        byte[] out = png.clone();
        int chunk = pngChunk(out, type);
        int crcAt = chunk + 8 + ByteBuffer.wrap(out, chunk, 4).getInt();
        out[crcAt] ^= 0x5A;
        return out;
    }

    /** The PNG with IHDR's width and height replaced, and its CRC recomputed (a valid header). */
    private static byte[] pngDeclaring(byte[] png, int width, int height) {
        byte[] out = png.clone();
        int ihdr = pngChunk(out, "IHDR");
        ByteBuffer.wrap(out, ihdr + 8, 8).putInt(width).putInt(height);
        CRC32 crc = new CRC32();
        crc.update(out, ihdr + 4, 4 + 13);
        ByteBuffer.wrap(out, ihdr + 8 + 13, 4).putInt((int) crc.getValue());
        return out;
    }

    /** The GIF with its first image's LZW minimum code size replaced (valid: 2-8, at most 11 in decoders). */
    private static byte[] gifLzwCodeSize(byte[] gif, int codeSize) {
        byte[] out = gif.clone();
        int i = 13;
        if ((out[10] & 0x80) != 0) {
            i += 3 << ((out[10] & 7) + 1);
        }
        while (i < out.length) {
            int b = out[i] & 0xFF;
            if (b == 0x21) { // extension: label, then sub-blocks
                i += 2;
                while (out[i] != 0) {
                    i += (out[i] & 0xFF) + 1;
                }
                i++;
            } else if (b == 0x2C) { // image descriptor
                int packed = out[i + 9] & 0xFF;
                i += 10;
                if ((packed & 0x80) != 0) {
                    i += 3 << ((packed & 7) + 1);
                }
                out[i] = (byte) codeSize;
                return out;
            } else {
                break;
            }
        }
        throw new IllegalStateException("no image descriptor in the GIF");
    }

    /** Offset of the first top-level ISO-BMFF box of the type. */
    private static int boxOffset(byte[] isobmff, String type) {
        int i = 0;
        while (i + 8 <= isobmff.length) {
            int size = ByteBuffer.wrap(isobmff, i, 4).getInt();
            if (new String(isobmff, i + 4, 4, StandardCharsets.US_ASCII).equals(type)) {
                return i;
            }
            if (size < 8) {
                break;
            }
            i += size;
        }
        throw new IllegalStateException("no " + type + " box");
    }

    private static byte[] withInt(byte[] bytes, int offset, int value, boolean littleEndian) {
        byte[] out = bytes.clone();
        ByteBuffer buffer = ByteBuffer.wrap(out, offset, 4);
        buffer.order(littleEndian ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN).putInt(value);
        return out;
    }

    private static byte[] withAscii(byte[] bytes, int offset, String text) {
        byte[] out = bytes.clone();
        System.arraycopy(text.getBytes(StandardCharsets.US_ASCII), 0, out, offset, text.length());
        return out;
    }
}
