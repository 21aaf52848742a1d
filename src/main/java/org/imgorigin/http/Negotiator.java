package org.imgorigin.http;

import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.url.ImagePath;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.Transformation.Dpr;
import org.imgorigin.url.Transformation.FormatChoice;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.url.Transformation.Quality;

/**
 * Resolves the {@code auto} forms of the README's URL grammar from request headers, and picks the
 * output format. The result is part of the variant key, so a client never gets a format or
 * size that another client's headers chose; {@code vary} lists exactly the headers used.
 */
final class Negotiator {
    private static final int WIDTH_STEP = 100;

    private final int maxDimension;
    private final List<ImageFormat> autoOrder;

    Negotiator(int maxDimension) {
        this(maxDimension, true);
    }

    /** {@code jpegXl}: whether this libvips writes JPEG XL ({@code Vips.writesJpegXl}); if not, f_auto skips it. */
    Negotiator(int maxDimension, boolean jpegXl) {
        this.maxDimension = maxDimension;
        this.autoOrder = AUTO_ORDER.stream().filter(f -> jpegXl || f != ImageFormat.JXL).toList();
    }

    /**
     * What {@code f_auto} picks from, best first: the first one {@code Accept} lists wins, else
     * PNG for an original with alpha and JPEG for one without. JPEG XL leads although at
     * {@code q_auto:good} it is a little larger than AVIF (1.06-1.09 times, about 0.8 of WebP):
     * its encoder takes about half of AVIF's CPU, and every browser that lists it (Safari 17+)
     * also lists AVIF, so ranked below AVIF it would never be chosen (docs/jpeg-xl.md).
     */
    static final List<ImageFormat> AUTO_ORDER = List.of(ImageFormat.JXL, ImageFormat.AVIF, ImageFormat.WEBP);

    /**
     * Whether the answer depends on the original itself (its format when the URL names none,
     * its alpha for {@code f_auto} without JPEG XL/AVIF/WebP): only then must it be read before
     * the cache can be asked.
     */
    boolean needsSource(ImagePath path, MultiMap headers) {
        Optional<FormatChoice> f = path.transformation().format();
        if (f.isPresent()) {
            // f_auto depends on whether the original is animated (an animation stays one, as
            // WebP or GIF), whatever the Accept header: once per original and node, since
            // headers are remembered.
            return f.get() instanceof FormatChoice.Auto;
        }
        return path.extension().isEmpty();
    }

    /** The first of {@link #AUTO_ORDER} (that this libvips writes) that {@code Accept} lists, if any. */
    Optional<ImageFormat> autoFormat(MultiMap headers) {
        return autoOrder.stream().filter(format -> accepts(headers, format)).findFirst();
    }

    /** Resolves the request; {@code source} may be empty when {@link #needsSource} said so. */
    Negotiated negotiate(ImagePath path, Optional<SourceInfo> known, MultiMap headers) {
        Transformation t = path.transformation();
        java.util.function.Supplier<SourceInfo> source = () -> known.orElseThrow(
                () -> new IllegalStateException("negotiation needs the original's header"));
        List<String> vary = new ArrayList<>();

        ImageFormat output;
        if (t.format().isPresent() && t.format().get() instanceof FormatChoice.Fixed fixed) {
            output = fixed.format();
        } else if (t.format().isPresent()) {
            vary.add("Accept");
            output = auto(source.get(), t, headers);
        } else if (path.extension().isPresent()) {
            output = path.extension().get();
        } else if (source.get().format().writable()) {
            output = source.get().format();
        } else {
            output = source.get().hasAlpha() ? ImageFormat.PNG : ImageFormat.JPEG;
        }
        // The chosen format is now fixed in the key: one variant per format.
        t = t.withFormat(Optional.empty());

        boolean widthFromHint = false;
        if (t.width().isPresent() && t.width().get() instanceof Length.Auto auto) {
            OptionalInt hinted = hint(headers, "Sec-CH-Width", "Width", vary);
            if (hinted.isPresent()) {
                widthFromHint = true;
                int stepped = (int) Math.min(maxDimension, ((long) hinted.getAsInt() + WIDTH_STEP - 1) / WIDTH_STEP * WIDTH_STEP);
                t = t.withWidth(Optional.of(new Length.Pixels(Math.max(1, stepped))));
            } else {
                t = t.withWidth(auto.fallback().isPresent()
                        ? Optional.of(new Length.Pixels(auto.fallback().getAsInt()))
                        : Optional.empty());
            }
        }
        if (t.dpr().isPresent() && t.dpr().get() instanceof Dpr.Auto) {
            double dpr = 1.0;
            // A width hint is in physical pixels already: applying the DPR again would double it.
            if (!widthFromHint) {
                dpr = dprHint(headers, vary);
            }
            t = t.withDpr(dpr == 1.0 ? Optional.empty() : Optional.of(new Dpr.Fixed(dpr)));
        }
        if (t.quality().isPresent() && t.quality().get() instanceof Quality.Auto
                && "on".equalsIgnoreCase(headers.get("Save-Data"))) {
            t = t.withQuality(Optional.of(new Quality.Auto(Quality.Level.ECO)));
        }
        if (t.quality().isPresent() && t.quality().get() instanceof Quality.Auto) {
            vary.add("Save-Data");
        }
        return new Negotiated(t, output, List.copyOf(vary));
    }

    /**
     * {@code f_auto}'s choice: for an animation that stays one (no {@code pg_}), animated WebP
     * where accepted, else GIF; otherwise the first of {@link #AUTO_ORDER} that {@code Accept}
     * lists, then PNG for alpha or JPEG.
     */
    ImageFormat auto(SourceInfo source, Transformation t, MultiMap headers) {
        if (source.animated() && t.page().isEmpty()) {
            return accepts(headers, ImageFormat.WEBP) ? ImageFormat.WEBP : ImageFormat.GIF;
        }
        return autoFormat(headers).orElseGet(() -> source.hasAlpha() ? ImageFormat.PNG : ImageFormat.JPEG);
    }

    /** True when {@code Accept} lists the format's media type with a non-zero q. Wildcards don't count. */
    static boolean accepts(MultiMap headers, ImageFormat format) {
        for (String accept : headers.getAll("Accept")) {
            for (String range : accept.split(",")) {
                String[] parts = range.split(";");
                if (!parts[0].strip().equalsIgnoreCase(format.mimeType())) {
                    continue;
                }
                boolean zero = false;
                for (int i = 1; i < parts.length; i++) {
                    String p = parts[i].strip().toLowerCase(Locale.ROOT);
                    if (p.startsWith("q=")) {
                        try {
                            zero = Double.parseDouble(p.substring(2)) <= 0;
                        } catch (NumberFormatException e) {
                            zero = true;
                        }
                    }
                }
                if (!zero) {
                    return true;
                }
            }
        }
        return false;
    }

    private static OptionalInt hint(MultiMap headers, String modern, String legacy, List<String> vary) {
        vary.add(modern);
        vary.add(legacy);
        for (String name : new String[] {modern, legacy}) {
            String v = headers.get(name);
            if (v != null) {
                try {
                    int value = (int) Math.ceil(Double.parseDouble(v.strip()));
                    if (value > 0) {
                        return OptionalInt.of(value);
                    }
                } catch (NumberFormatException ignored) {
                    // A malformed hint is no hint.
                }
            }
        }
        return OptionalInt.empty();
    }

    /** The DPR hint clamped to 1-4 and rounded to a tenth, so a few values cover all devices. */
    private static double dprHint(MultiMap headers, List<String> vary) {
        vary.add("Sec-CH-DPR");
        vary.add("DPR");
        for (String name : new String[] {"Sec-CH-DPR", "DPR"}) {
            String v = headers.get(name);
            if (v != null) {
                try {
                    double d = Double.parseDouble(v.strip());
                    if (Double.isFinite(d) && d > 0) {
                        return Math.round(Math.min(4.0, Math.max(1.0, d)) * 10) / 10.0;
                    }
                } catch (NumberFormatException ignored) {
                    // A malformed hint is no hint.
                }
            }
        }
        return 1.0;
    }
}
