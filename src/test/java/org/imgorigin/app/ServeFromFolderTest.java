package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default set-up: originals in a local folder laid out as the README's Storage layout says. */
class ServeFromFolderTest extends ServeImagesContract {
    @TempDir
    static Path root;

    @Override
    Map<String, String> storeEnvironment() {
        return Map.of("IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString());
    }

    @Override
    OriginalStore seedStore() {
        return OriginalStores.file(root.resolve("originals"));
    }

    @Test
    void anOriginalCopiedByHandAtItsKeyIsServed() throws Exception {
        byte[] bytes = fixture("small.webp");
        String id = java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
        Path key = root.resolve("originals").resolve(id.substring(0, 4)).resolve(id.substring(4, 6)).resolve(id);
        Files.createDirectories(key.getParent());
        Files.write(key, bytes);
        HttpResponse<Buffer> r = get("/w_100/" + id + ".jpg");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(inspect(r).width()).isEqualTo(100);
    }
}
