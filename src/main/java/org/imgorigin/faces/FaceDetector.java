package org.imgorigin.faces;

import java.nio.file.Path;
import java.util.List;

/**
 * Finds faces in a grey image. Implementations are thread-safe; a call's cost is bounded by
 * the image it is given, which callers keep small ({@link #DETECTION_PIXELS}).
 */
public interface FaceDetector {
    /**
     * The most pixels of the copy a detector is given (about 490x330 for a 3:2 photo): a Haar
     * cascade's cost grows with the area, and on docs/faces.md's photos 300,000 pixels found no
     * more faces for half again the CPU.
     */
    long DETECTION_PIXELS = 160_000;

    /** The faces found, in no particular order; empty when there are none or none can be looked for. */
    List<Box> detect(Grey image);

    /** Whether this detector can find anything at all. */
    boolean available();

    /** For the start-up log and {@code /readyz}: which detector, or why there is none. */
    String describe();

    /**
     * The detector installed on this machine: OpenCV's {@code haarcascade_frontalface_alt2}
     * through Debian's {@code libopencv-java} and {@code opencv-data}, or, when those are
     * missing, one that finds nothing and says why. Loaded once per process.
     */
    static FaceDetector system() {
        return SystemDetector.INSTANCE;
    }

    /**
     * OpenCV's cascade at {@code cascade}, through the bindings at {@code jar} and
     * {@code library}; {@link Unavailable} when a file is missing or OpenCV does not load. A
     * JNI library loads into one class loader per process, so only the first of these in a
     * process can be available ({@link #system()} is that one in the server; the benchmark
     * runs a process per cascade).
     */
    static FaceDetector openCv(Path jar, Path library, Path cascade) {
        return OpenCvCascade.load(jar, library, cascade);
    }

    /** A detector that finds nothing, saying {@code why}. */
    static FaceDetector unavailable(String why) {
        return new Unavailable(why);
    }

    /** {@link #system()}'s one instance, made on first use. */
    final class SystemDetector {
        static final FaceDetector INSTANCE = openCv(OpenCvCascade.DEBIAN_JAR, OpenCvCascade.DEBIAN_LIBRARY,
                OpenCvCascade.DEBIAN_CASCADE);

        private SystemDetector() {
        }
    }

    record Unavailable(String why) implements FaceDetector {
        @Override
        public List<Box> detect(Grey image) {
            return List.of();
        }

        @Override
        public boolean available() {
            return false;
        }

        @Override
        public String describe() {
            return "no face detector (" + why + "): g_face and g_faces crop by saliency, as g_auto";
        }
    }
}
