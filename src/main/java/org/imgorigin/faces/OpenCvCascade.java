package org.imgorigin.faces;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenCV's Haar cascade for frontal faces, through the Java bindings Debian ships
 * ({@code libopencv-java}: a jar and its JNI library) and the cascade files of
 * {@code opencv-data}. The jar is loaded at run time in a class loader of its own, so the build
 * does not need it and a server without it starts (the detector is then {@link Unavailable}).
 * Each thread keeps its own classifier (OpenCV's is not safe to share between threads); every
 * {@code Mat} a detection makes is released before it returns, so no native memory waits for a
 * finaliser.
 */
final class OpenCvCascade implements FaceDetector {
    static final Path DEBIAN_JAR = Path.of("/usr/share/java/opencv.jar");
    /** Debian 12 has libopencv_java460.so, Ubuntu 22.04 libopencv_java454.so: whichever is there. */
    static final Path DEBIAN_LIBRARY = jniLibrary(Path.of("/usr/lib/jni"));
    static final Path DEBIAN_CASCADE = Path.of("/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml");

    /** How much the cascade's window grows between scales, and how many overlapping hits make a face. */
    private static final double SCALE_FACTOR = 1.1;
    private static final int MIN_NEIGHBOURS = 5;
    /**
     * The smallest face looked for is 1/12 of the copy's short side (never under 20 px, the
     * cascade's own size): a smaller face hardly steers a crop, and skipping the smallest scales
     * takes a third off the cost (docs/faces.md).
     */
    private static final int MIN_FACE_DIVISOR = 12;
    private static final int CV_8UC1 = 0;

    private final Path cascade;
    private final MethodHandle newMat;
    private final MethodHandle put;
    private final MethodHandle release;
    private final MethodHandle equalizeHist;
    private final MethodHandle newClassifier;
    private final MethodHandle detectMultiScale;
    private final MethodHandle newSize;
    private final MethodHandle newMatOfRect;
    private final MethodHandle toArray;
    private final Field x;
    private final Field y;
    private final Field width;
    private final Field height;
    private final ThreadLocal<Object> classifiers;

    private OpenCvCascade(ClassLoader loader, Path cascade) throws Throwable {
        this.cascade = cascade;
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Class<?> mat = loader.loadClass("org.opencv.core.Mat");
        Class<?> size = loader.loadClass("org.opencv.core.Size");
        Class<?> matOfRect = loader.loadClass("org.opencv.core.MatOfRect");
        Class<?> rect = loader.loadClass("org.opencv.core.Rect");
        Class<?> classifier = loader.loadClass("org.opencv.objdetect.CascadeClassifier");
        Class<?> imgproc = loader.loadClass("org.opencv.imgproc.Imgproc");
        Class<?> core = loader.loadClass("org.opencv.core.Core");
        newMat = lookup.findConstructor(mat, MethodType.methodType(void.class, int.class, int.class, int.class));
        put = lookup.findVirtual(mat, "put", MethodType.methodType(int.class, int.class, int.class, byte[].class));
        release = lookup.findVirtual(mat, "release", MethodType.methodType(void.class));
        equalizeHist = lookup.findStatic(imgproc, "equalizeHist", MethodType.methodType(void.class, mat, mat));
        newClassifier = lookup.findConstructor(classifier, MethodType.methodType(void.class, String.class));
        detectMultiScale = lookup.findVirtual(classifier, "detectMultiScale", MethodType.methodType(void.class, mat,
                matOfRect, double.class, int.class, int.class, size, size));
        newSize = lookup.findConstructor(size, MethodType.methodType(void.class, double.class, double.class));
        newMatOfRect = lookup.findConstructor(matOfRect, MethodType.methodType(void.class));
        toArray = lookup.findVirtual(matOfRect, "toArray", MethodType.methodType(rect.arrayType()));
        x = rect.getField("x");
        y = rect.getField("y");
        width = rect.getField("width");
        height = rect.getField("height");
        // One thread per detection: parallelism comes from the render pool, and the CPU a
        // detection costs is then the render's own (and bounded by its time limit).
        lookup.findStatic(core, "setNumThreads", MethodType.methodType(void.class, int.class)).invoke(1);
        Object probe = newClassifier.invoke(cascade.toString());
        if ((boolean) lookup.findVirtual(classifier, "empty", MethodType.methodType(boolean.class)).invoke(probe)) {
            throw new IllegalStateException("OpenCV could not read the cascade " + cascade);
        }
        classifiers = ThreadLocal.withInitial(() -> {
            try {
                return newClassifier.invoke(cascade.toString());
            } catch (Throwable e) {
                throw new IllegalStateException("OpenCV could not load the cascade " + cascade, e);
            }
        });
    }

    private static Path jniLibrary(Path dir) {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("libopencv_java\\d+\\.so")).sorted()
                    .reduce((a, b) -> b).orElse(dir.resolve("libopencv_java.so"));
        } catch (java.io.IOException e) {
            return dir.resolve("libopencv_java.so");
        }
    }

    /** The detector, or {@link Unavailable} saying which file is missing or what failed. */
    static FaceDetector load(Path jar, Path library, Path cascade) {
        for (Path required : List.of(jar, library, cascade)) {
            if (!Files.isReadable(required)) {
                return new Unavailable(required + " is missing (Debian: apt-get install libopencv-java opencv-data)");
            }
        }
        try {
            URLClassLoader loader = new URLClassLoader("opencv", new URL[] {jar.toUri().toURL()},
                    OpenCvCascade.class.getClassLoader()) {
                @Override
                protected String findLibrary(String name) {
                    // Debian keeps JNI libraries in /usr/lib/jni, which is not on the JDK's path.
                    return library.toString();
                }
            };
            Class<?> nativeLoader = loader.loadClass("org.opencv.osgi.OpenCVNativeLoader");
            nativeLoader.getMethod("init").invoke(nativeLoader.getConstructor().newInstance());
            return new OpenCvCascade(loader, cascade);
        } catch (Throwable e) {
            // Throwable: a JNI library that does not link is an UnsatisfiedLinkError.
            return new Unavailable("OpenCV did not load: " + e);
        }
    }

    @Override
    public List<Box> detect(Grey image) {
        Object mat = null;
        Object found = null;
        try {
            mat = newMat.invoke(image.height(), image.width(), CV_8UC1);
            put.invoke(mat, 0, 0, image.pixels());
            equalizeHist.invoke(mat, mat);
            found = newMatOfRect.invoke();
            int min = Math.max(20, Math.min(image.width(), image.height()) / MIN_FACE_DIVISOR);
            detectMultiScale.invoke(classifiers.get(), mat, found, SCALE_FACTOR, MIN_NEIGHBOURS, 0,
                    newSize.invoke((double) min, (double) min), newSize.invoke(0.0, 0.0));
            Object rects = toArray.invoke(found);
            List<Box> faces = new ArrayList<>();
            for (int i = 0; i < Array.getLength(rects); i++) {
                Object r = Array.get(rects, i);
                faces.add(Box.ofPixels(x.getInt(r), y.getInt(r), width.getInt(r), height.getInt(r), image.width(),
                        image.height()));
            }
            return faces;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("face detection failed", e);
        } finally {
            releaseQuietly(found);
            releaseQuietly(mat);
        }
    }

    private void releaseQuietly(Object mat) {
        if (mat != null) {
            try {
                release.invoke(mat);
            } catch (Throwable e) {
                // A Mat that cannot be released is left to OpenCV's finaliser.
            }
        }
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public String describe() {
        return "OpenCV Haar cascade " + cascade.getFileName() + " on a copy of at most " + DETECTION_PIXELS + " pixels";
    }
}
