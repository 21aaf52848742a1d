package org.imgorigin.app;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.imgorigin.config.Config;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;

/**
 * The preamble most server tests share: originals in {@code <root>/originals}, the cache in
 * {@code <root>/cache}, a random port, no access log; fixtures stored under their hash.
 */
final class TestOrigin {
    private TestOrigin() {
    }

    /** The first 40 hex characters of the SHA-256: the id imgorigin gives these bytes. */
    static String idOf(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
    }

    /** Stores a fixture from src/test/resources/images in {@code <root>/originals}; returns its id. */
    static String store(Path root, String fixture) throws Exception {
        byte[] bytes = ServeImagesContract.fixture(fixture);
        String id = idOf(bytes);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(id), bytes, "application/octet-stream");
        }
        return id;
    }

    /** A server over {@code root}; {@code env} adds or overrides variables, as name/value pairs. */
    static Server start(Path root, String... env) throws Exception {
        return Server.start(Config.fromEnv(env(root, env)));
    }

    /** The variables of a server over {@code root}, with {@code overrides} as name/value pairs. */
    static Map<String, String> env(Path root, String... overrides) {
        Map<String, String> vars = new HashMap<>(Map.of("IMGORIGIN_PORT", "0",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(),
                "IMGORIGIN_ACCESS_LOG", "false"));
        for (int i = 0; i < overrides.length; i += 2) {
            vars.put(overrides[i], overrides[i + 1]);
        }
        return vars;
    }
}
