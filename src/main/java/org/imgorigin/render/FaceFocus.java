package org.imgorigin.render;

import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.imgorigin.faces.Box;
import org.imgorigin.faces.FaceDetector;
import org.imgorigin.faces.FaceMemory;
import org.imgorigin.faces.Grey;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;

/**
 * Where {@code g_face} and {@code g_faces} put a crop: the faces a {@link FaceDetector} finds
 * on a copy of at most {@link FaceDetector#DETECTION_PIXELS} pixels (shrunk on load by
 * libvips, so the cost does not grow with the source), as the largest face's box or the box
 * around all of them, in fractions of the image. Runs on the render's thread inside its
 * {@link VipsScope}, so the render's time limit covers it.
 */
final class FaceFocus {
    private FaceFocus() {
    }

    /** Whether {@code stage} asks for faces: a face gravity on a mode that crops. */
    static boolean wanted(Transformation stage) {
        return (stage.gravity() == Gravity.FACE || stage.gravity() == Gravity.FACES)
                && switch (stage.crop()) {
                    case FILL, LFILL, THUMB, CROP -> true;
                    default -> false;
                };
    }

    /**
     * The faces of the {@code width}×{@code height} (as displayed) source, looked for on a small
     * copy of it, or remembered in {@code memory} from another variant of the same original.
     * The copy is made from {@code smaller} when it gives an image (the original's mezzanine,
     * the same picture upright at a few megapixels, so a fraction of the decode), else from
     * {@code buffer}, the original, which is what the faces are remembered by.
     */
    static Optional<Box> ofSource(FaceDetector detector, FaceMemory memory, VipsScope scope, MemorySegment buffer,
            Supplier<Optional<MemorySegment>> smaller, int width, int height, boolean noRotate, int page,
            Transformation stage) {
        if (!wanted(stage) || !detector.available()) {
            return Optional.empty();
        }
        FaceMemory.Key key = new FaceMemory.Key(digest(buffer), page, noRotate);
        List<Box> faces = memory.get(key).orElseGet(() -> {
            int[] size = detectionSize(width, height);
            Optional<MemorySegment> mezzanine = smaller.get();
            VipsImage small = ColourStep.normalise(scope, mezzanine.isPresent()
                    ? scope.thumbnail(mezzanine.get(), size[0], size[1], VipsScope.Size.FORCE, false)
                    : scope.thumbnail(buffer, size[0], size[1], VipsScope.Size.FORCE, noRotate, page));
            List<Box> found = detect(detector, scope, small);
            memory.put(key, found);
            return found;
        });
        return pick(faces, stage.gravity());
    }

    /** SHA-256 of the original's bytes: a few ms for a large photo, against a decode and a detection. */
    private static String digest(MemorySegment buffer) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(buffer.asByteBuffer());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The faces of what the stages before made ({@code frames}, the first frame of an
     * animation). That frame is read twice, for the faces and then for the stage, which a
     * sequentially loaded image cannot do: so it is made in memory first and replaced in
     * {@code frames} (bounded by the output limits the stage before was checked against).
     */
    static Optional<Box> ofFrames(FaceDetector detector, VipsScope scope, List<VipsImage> frames,
            Transformation stage) {
        if (!wanted(stage) || !detector.available()) {
            return Optional.empty();
        }
        VipsImage image = scope.materialise(frames.getFirst());
        frames.set(0, image);
        int[] size = detectionSize(image.width(), image.height());
        VipsImage small = size[0] == image.width() && size[1] == image.height()
                ? image : scope.resize(image, size[0], size[1]);
        return pick(detect(detector, scope, small), stage.gravity());
    }

    private static List<Box> detect(FaceDetector detector, VipsScope scope, VipsImage small) {
        return detector.detect(new Grey(small.width(), small.height(), scope.greyPixels(small)));
    }

    private static Optional<Box> pick(List<Box> faces, Gravity gravity) {
        return gravity == Gravity.FACES ? Box.around(faces) : Box.largest(faces);
    }

    /** The source's shape in at most {@link FaceDetector#DETECTION_PIXELS}, never enlarged. */
    static int[] detectionSize(int width, int height) {
        double s = Math.min(1.0, Math.sqrt((double) FaceDetector.DETECTION_PIXELS / ((long) width * height)));
        return new int[] {Math.max(1, (int) Math.round(width * s)), Math.max(1, (int) Math.round(height * s))};
    }
}
