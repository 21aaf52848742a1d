/*
 * g_face and g_faces against g_auto on photos with faces: how often every face stays whole in
 * a crop, what the detector finds, and what a detection costs. bench/faces.sh fetches the
 * photos and runs this once per cascade (a JVM loads OpenCV's JNI library once).
 *
 * usage (from the repository root, after `mvn -q -o compile`):
 *   java --enable-native-access=ALL-UNNAMED -cp target/classes bench/Faces.java CASCADE.xml PHOTO_DIR
 *
 * The faces that count (GROUND_TRUTH) were marked by looking at every box any candidate
 * cascade found at 640 px and keeping the real ones; 5 faces in profile or looking down that
 * no candidate finds are not in it (docs/faces.md). A crop keeps a face whole when the face's
 * box lies inside it: the crop's place in the photo is found by sliding the output over the
 * photo scaled as c_fill scales it (the least difference wins).
 */
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.imgorigin.faces.Box;
import org.imgorigin.faces.FaceDetector;
import org.imgorigin.faces.Grey;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.url.Presets;
import org.imgorigin.url.TransformationParser;

public class Faces {
    /** Faces per photo, in pixels of its 640 px (long edge) copy: {copyWidth, copyHeight, x, y, w, h, ...}. */
    static final Map<String, int[]> GROUND_TRUTH = new LinkedHashMap<>();

    static {
        GROUND_TRUTH.put("astronaut.jpg", new int[] {512, 512, 176, 66, 95, 95});
        GROUND_TRUTH.put("sample1.jpg", new int[] {640, 427, 123, 123, 78, 78});
        GROUND_TRUTH.put("sample2.jpg", new int[] {640, 456, 468, 53, 82, 82, 297, 86, 67, 67});
        GROUND_TRUTH.put("sample3.jpg", new int[] {640, 450, 341, 72, 99, 99, 496, 105, 81, 81, 183, 113, 83, 83});
        GROUND_TRUTH.put("sample4.jpg", new int[] {640, 483, 82, 69, 82, 82, 306, 64, 82, 82});
        GROUND_TRUTH.put("sample5.jpg", new int[] {640, 466, 259, 41, 67, 67, 363, 72, 66, 66, 211, 151, 57, 57,
            455, 138, 80, 80, 119, 298, 80, 80});
        GROUND_TRUTH.put("sample6.jpg", new int[] {640, 512, 482, 93, 90, 90, 382, 110, 85, 85, 209, 119, 82, 82,
            82, 170, 84, 84});
    }

    static final int[][] SHAPES = {{300, 300}, {300, 169}, {169, 300}};
    static final String[] GRAVITIES = {"g_face", "g_faces", "g_auto", "g_center"};

    public static void main(String[] args) throws Exception {
        Path cascade = Path.of(args[0]);
        Path dir = Path.of(args[1]);
        FaceDetector detector = FaceDetector.openCv(Path.of("/usr/share/java/opencv.jar"), jni(), cascade);
        if (!detector.available()) {
            throw new IllegalStateException(detector.describe());
        }
        Renderer renderer = new Renderer(RenderLimits.DEFAULTS, detector);
        String name = cascade.getFileName().toString().replace(".xml", "");
        int truth = 0;
        int found = 0;
        int matched = 0;
        List<Long> cpu = new ArrayList<>();
        List<Long> overhead = new ArrayList<>();
        Map<String, int[]> whole = new LinkedHashMap<>(); // gravity+shape -> {photos all whole, faces whole, faces}
        for (var entry : GROUND_TRUTH.entrySet()) {
            byte[] source = Files.readAllBytes(dir.resolve(entry.getKey()));
            BufferedImage original = ImageIO.read(new ByteArrayInputStream(source));
            int sw = original.getWidth();
            int sh = original.getHeight();
            List<Box> faces = truth(entry.getValue());
            truth += faces.size();
            // The detector on the copy the server makes (at most FaceDetector.DETECTION_PIXELS).
            double s = Math.min(1.0, Math.sqrt((double) FaceDetector.DETECTION_PIXELS / ((long) sw * sh)));
            int dw = (int) Math.round(sw * s);
            int dh = (int) Math.round(sh * s);
            Grey grey = grey(decode(render(renderer, source, "c_scale,w_" + dw + ",h_" + dh)));
            List<Box> detected = detector.detect(grey);
            long[] times = new long[7];
            for (int i = 0; i < times.length; i++) {
                long t0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
                detector.detect(grey);
                times[i] = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - t0;
            }
            Arrays.sort(times);
            cpu.add(times[times.length / 2]);
            found += detected.size();
            for (Box f : faces) {
                if (detected.stream().anyMatch(d -> iou(d, f) >= 0.3)) {
                    matched++;
                }
            }
            // What the detection adds to a render, in the process' CPU time (libvips works on
            // threads of its own): c_fill,g_face against c_fill,g_center.
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            // A new renderer each time: its memory of faces per original would answer otherwise.
            long[] extra = new long[5];
            for (int i = 0; i < extra.length; i++) {
                Renderer fresh = new Renderer(RenderLimits.DEFAULTS, detector);
                long t0 = os.getProcessCpuTime();
                render(fresh, source, "c_fill,g_face,w_300,h_300");
                long t1 = os.getProcessCpuTime();
                render(fresh, source, "c_fill,w_300,h_300");
                extra[i] = (t1 - t0) - (os.getProcessCpuTime() - t1);
            }
            Arrays.sort(extra);
            overhead.add(extra[extra.length / 2]);
            for (int[] shape : SHAPES) {
                BufferedImage scaled = null;
                for (String gravity : GRAVITIES) {
                    int w = shape[0];
                    int h = shape[1];
                    double cover = Math.max((double) w / sw, (double) h / sh);
                    int lw = Math.max(w, (int) Math.round(sw * cover));
                    int lh = Math.max(h, (int) Math.round(sh * cover));
                    if (scaled == null) {
                        scaled = decode(render(renderer, source, "c_scale,w_" + lw + ",h_" + lh));
                    }
                    BufferedImage out = decode(render(renderer, source, "c_fill," + gravity + ",w_" + w + ",h_" + h));
                    int[] at = locate(scaled, out);
                    Box crop = new Box((double) at[0] / lw, (double) at[1] / lh, (double) w / lw, (double) h / lh);
                    int kept = (int) faces.stream().filter(f -> inside(f, crop)).count();
                    int[] tally = whole.computeIfAbsent(gravity + " " + w + "x" + h, k -> new int[3]);
                    tally[0] += kept == faces.size() ? 1 : 0;
                    tally[1] += kept;
                    tally[2] += faces.size();
                }
            }
        }
        System.out.printf("detector %s: %d of %d faces found, %d boxes that are no face; CPU per detection "
                + "(median per photo, ms): %s; a render's extra CPU for g_face, faces not yet remembered (ms, process): %s%n", name, matched, truth,
                found - matched, ms(cpu), ms(overhead));
        System.out.println("| crop | g_face | g_faces | g_auto | g_center |");
        System.out.println("|---|---|---|---|---|");
        for (int[] shape : SHAPES) {
            StringBuilder row = new StringBuilder("| " + shape[0] + "x" + shape[1] + " |");
            for (String gravity : GRAVITIES) {
                int[] t = whole.get(gravity + " " + shape[0] + "x" + shape[1]);
                row.append(" ").append(t[0]).append("/").append(GROUND_TRUTH.size()).append(" photos, ")
                        .append(t[1]).append("/").append(t[2]).append(" faces |");
            }
            System.out.println(row);
        }
    }

    static Path jni() throws Exception {
        try (var files = Files.list(Path.of("/usr/lib/jni"))) {
            return files.filter(f -> f.getFileName().toString().matches("libopencv_java\\d+\\.so")).findFirst()
                    .orElseThrow();
        }
    }

    static List<Box> truth(int[] t) {
        List<Box> boxes = new ArrayList<>();
        for (int i = 2; i < t.length; i += 4) {
            boxes.add(Box.ofPixels(t[i], t[i + 1], t[i + 2], t[i + 3], t[0], t[1]));
        }
        return boxes;
    }

    static byte[] render(Renderer renderer, byte[] source, String spec) throws Exception {
        return renderer.render(source, TransformationParser.parse(spec, Presets.NONE), ImageFormat.PNG).bytes();
    }

    static BufferedImage decode(byte[] png) throws Exception {
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    static Grey grey(BufferedImage image) {
        byte[] g = new byte[image.getWidth() * image.getHeight()];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                g[y * image.getWidth() + x] = (byte) Math.round(0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff)
                        + 0.114 * (rgb & 0xff));
            }
        }
        return new Grey(image.getWidth(), image.getHeight(), g);
    }

    /** Where {@code crop} lies in {@code scaled}: the offset with the least mean difference. */
    static int[] locate(BufferedImage scaled, BufferedImage crop) {
        int best = Integer.MAX_VALUE;
        int[] at = {0, 0};
        for (int top = 0; top <= scaled.getHeight() - crop.getHeight(); top++) {
            for (int left = 0; left <= scaled.getWidth() - crop.getWidth(); left++) {
                long sum = 0;
                for (int y = 0; y < crop.getHeight() && sum < best; y += 4) {
                    for (int x = 0; x < crop.getWidth(); x += 4) {
                        int a = scaled.getRGB(left + x, top + y);
                        int b = crop.getRGB(x, y);
                        sum += Math.abs((a >> 8 & 0xff) - (b >> 8 & 0xff));
                    }
                }
                if (sum < best) {
                    best = (int) sum;
                    at = new int[] {left, top};
                }
            }
        }
        return at;
    }

    static boolean inside(Box face, Box crop) {
        double e = 1e-6;
        return face.left() >= crop.left() - e && face.top() >= crop.top() - e && face.right() <= crop.right() + e
                && face.bottom() <= crop.bottom() + e;
    }

    static double iou(Box a, Box b) {
        double w = Math.min(a.right(), b.right()) - Math.max(a.left(), b.left());
        double h = Math.min(a.bottom(), b.bottom()) - Math.max(a.top(), b.top());
        if (w <= 0 || h <= 0) {
            return 0;
        }
        double i = w * h;
        return i / (a.width() * a.height() + b.width() * b.height() - i);
    }

    static String ms(List<Long> nanos) {
        long[] v = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return String.format("median %.0f, max %.0f", v[v.length / 2] / 1e6, v[v.length - 1] / 1e6);
    }
}
