package org.imgorigin.http;

import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.imgorigin.upload.RecentUploads;

/**
 * {@code GET /}: the page in {@code web/index.html}, with this node's recent uploads filled in
 * as JSON where the page says {@code /*RECENT_UPLOADS*&#47;[]}.
 */
final class HomePage {
    static final String RECENT_MARKER = "/*RECENT_UPLOADS*/[]";

    private final String template;
    private final RecentUploads recent;

    HomePage(RecentUploads recent) {
        this.recent = recent;
        try (InputStream in = HomePage.class.getResourceAsStream("/web/index.html")) {
            if (in == null) {
                throw new IllegalStateException("web/index.html is missing from the jar");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void handle(RoutingContext ctx) {
        JsonArray uploads = new JsonArray();
        recent.list().forEach(s -> uploads.add(UploadHandler.json(s)));
        // JSON inside <script>: "</" must not close the element early.
        String json = uploads.encode().replace("</", "<\\/");
        ctx.response().putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; "
                        + "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
                        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'")
                .end(template.replace(RECENT_MARKER, json));
    }
}
