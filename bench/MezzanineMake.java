/*
 * What the render that makes an original's mezzanine costs, in one JVM, on real photos:
 * the number behind page 1 of bench/srcset.sh, where the second render of each photo makes it.
 *
 * usage (from the repository root, after `mvn -DskipTests package`):
 *   java --enable-native-access=ALL-UNNAMED -cp target/imgorigin.jar bench/MezzanineMake.java \
 *        [--passes N] [--edge E] [--width W] photo.jpg...
 *
 * For each photo and pass, in turn (the order rotating each pass):
 *   direct     a render of w_W,q_80 as WebP from the original, no mezzanine
 *   two steps  Renderer.mezzanine (decode the original, shrink, JPEG q95), then the render
 *              loading its variant from that mezzanine: how a second render worked before
 *   one step   the render told to make it (MezzanineSource.Turn.Make): one decode of the
 *              original, shrunk in memory, written as the mezzanine and resized to the variant
 *   from it    a render loading from the kept mezzanine (every render after the second)
 * CPU is the process's CPU time (libvips works on threads of its own; GC and JIT are in it
 * too); the figure is the median over passes of the
 * mean per photo. The first pass warms up and is not counted. Output: a Markdown table.
 */

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.render.Mezzanine;
import org.imgorigin.render.MezzanineSource;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.url.Presets;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.TransformationParser;

public class MezzanineMake {
    public static void main(String[] args) throws Exception {
        int passes = 5;
        int edge = 3072;
        int width = 640;
        List<Path> photos = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--passes" -> passes = Integer.parseInt(args[++i]);
                case "--edge" -> edge = Integer.parseInt(args[++i]);
                case "--width" -> width = Integer.parseInt(args[++i]);
                default -> photos.add(Path.of(args[i]));
            }
        }
        if (photos.isEmpty()) {
            throw new IllegalArgumentException("usage: MezzanineMake [--passes N] [--edge E] [--width W] photo.jpg...");
        }
        Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
        Transformation t = TransformationParser.parse("w_" + width + ",q_80", Presets.NONE);
        com.sun.management.OperatingSystemMXBean cpu =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int e = edge;
        // Only the photos that get a mezzanine (larger than the edge, 8-bit sRGB or grey).
        List<byte[]> sources = new ArrayList<>();
        List<Mezzanine> kept = new ArrayList<>();
        for (Path p : photos) {
            byte[] bytes = Files.readAllBytes(p);
            Optional<Mezzanine> m = renderer.mezzanine(bytes, edge);
            if (m.isPresent()) {
                sources.add(bytes);
                kept.add(m.get());
            } else {
                System.err.println("no mezzanine for " + p + ": left out");
            }
        }
        Map<String, Step> steps = new LinkedHashMap<>();
        steps.put("direct", (s, i) -> renderer.render(s, t, ImageFormat.WEBP, Map.of(), MezzanineSource.NONE));
        steps.put("two steps", (s, i) -> {
            Mezzanine m = renderer.mezzanine(s, e).orElseThrow();
            renderer.render(s, t, ImageFormat.WEBP, Map.of(), source(e, new MezzanineSource.Turn.Use(m)));
        });
        steps.put("one step", (s, i) -> renderer.render(s, t, ImageFormat.WEBP, Map.of(),
                source(e, new MezzanineSource.Turn.Make(made -> made.orElseThrow()))));
        steps.put("from it", (s, i) -> renderer.render(s, t, ImageFormat.WEBP, Map.of(),
                source(e, new MezzanineSource.Turn.Use(kept.get(i)))));
        List<String> names = new ArrayList<>(steps.keySet());
        Map<String, List<Double>> ms = new LinkedHashMap<>();
        names.forEach(n -> ms.put(n, new ArrayList<>()));
        for (int pass = 0; pass <= passes; pass++) {
            for (int k = 0; k < names.size(); k++) {
                String name = names.get((k + pass) % names.size());
                long before = cpu.getProcessCpuTime();
                for (int i = 0; i < sources.size(); i++) {
                    steps.get(name).run(sources.get(i), i);
                }
                double mean = (cpu.getProcessCpuTime() - before) / 1e6 / sources.size();
                if (pass > 0) {
                    ms.get(name).add(mean);
                }
            }
        }
        double direct = median(ms.get("direct"));
        System.out.printf("%d photos, w_%d,q_80 WebP, mezzanine edge %d, %d passes (medians of the mean per photo)%n%n",
                sources.size(), width, edge, passes);
        System.out.println("| render | CPU ms per photo | vs direct |");
        System.out.println("|---|---|---|");
        for (String name : names) {
            double m = median(ms.get(name));
            System.out.printf("| %s | %.1f | %.2f |%n", name, m, m / direct);
        }
    }

    interface Step {
        void run(byte[] source, int index) throws Exception;
    }

    static MezzanineSource source(int edge, MezzanineSource.Turn turn) {
        return new MezzanineSource() {
            @Override
            public int edge() {
                return edge;
            }

            @Override
            public Turn turn(Duration wait) {
                return turn;
            }
        };
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
