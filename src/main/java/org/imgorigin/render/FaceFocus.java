package org.imgorigin.render;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import org.imgorigin.faces.Box;
import org.imgorigin.faces.FaceDetector;
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

    /** The faces of the {@code width}×{@code height} (as displayed) source, looked for on a small copy of it. */
    static Optional<Box> ofSource(FaceDetector detector, VipsScope scope, MemorySegment buffer, int width, int height,
            boolean noRotate, int page, Transformation stage) {
        if (!wanted(stage) || !detector.available()) {
            return Optional.empty();
        }
        int[] size = detectionSize(width, height);
        VipsImage small = ColourStep.normalise(scope,
                scope.thumbnail(buffer, size[0], size[1], VipsScope.Size.FORCE, noRotate, page));
        return focus(detector, scope, small, stage.gravity());
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
        return focus(detector, scope, small, stage.gravity());
    }

    private static Optional<Box> focus(FaceDetector detector, VipsScope scope, VipsImage small, Gravity gravity) {
        List<Box> faces = detector.detect(new Grey(small.width(), small.height(), scope.greyPixels(small)));
        return gravity == Gravity.FACES ? Box.around(faces) : Box.largest(faces);
    }

    /** The source's shape in at most {@link FaceDetector#DETECTION_PIXELS}, never enlarged. */
    static int[] detectionSize(int width, int height) {
        double s = Math.min(1.0, Math.sqrt((double) FaceDetector.DETECTION_PIXELS / ((long) width * height)));
        return new int[] {Math.max(1, (int) Math.round(width * s)), Math.max(1, (int) Math.round(height * s))};
    }
}
