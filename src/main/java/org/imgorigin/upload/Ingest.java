package org.imgorigin.upload;

import org.imgorigin.image.ImageId;
import org.imgorigin.render.RenderException;
import org.imgorigin.render.Renderer;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.StoreException;

/**
 * Stores a received upload once it has passed every check: the header decodes (no pixels
 * are), the pixel count is under the limit, and the bytes are not already stored. Blocking:
 * run on a virtual thread. Nothing is written unless every check passed, and stores write
 * atomically, so a refused or interrupted upload leaves nothing behind.
 */
public final class Ingest {
    private final OriginalStore store;
    private final Renderer renderer;

    public Ingest(OriginalStore store, Renderer renderer) {
        this.store = store;
        this.renderer = renderer;
    }

    /** What was stored (or found stored already). */
    public record Stored(ImageId id, SourceInfo info, long bytes, boolean created) {
        /** The path of the original, e.g. {@code /3972b1….jpg}. */
        public String url() {
            return "/" + id + "." + info.format().extension();
        }
    }

    public Stored ingest(Receiver.Body body) throws UploadException, StoreException {
        SourceInfo info;
        try {
            info = renderer.inspect(body.bytes());
        } catch (RenderException e) {
            throw new UploadException(e.status(), e.status() == 415 ? e.getMessage()
                    : "the image cannot be decoded: " + e.getMessage());
        }
        try {
            // A decompression or frame bomb is refused here, from its header, before any pixel is decoded.
            renderer.admit(info);
        } catch (RenderException e) {
            throw new UploadException(e.status(), e.getMessage());
        }
        if (store.exists(body.id())) {
            return new Stored(body.id(), info, body.bytes().length, false);
        }
        store.put(body.id(), body.bytes(), info.format().mimeType());
        return new Stored(body.id(), info, body.bytes().length, true);
    }
}
