package org.imgorigin.url;

import java.math.BigDecimal;
import java.util.StringJoiner;
import org.imgorigin.url.Transformation.AspectRatio;
import org.imgorigin.url.Transformation.Crop;
import org.imgorigin.url.Transformation.Dpr;
import org.imgorigin.url.Transformation.FormatChoice;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.url.Transformation.Offset;
import org.imgorigin.url.Transformation.Quality;
import org.imgorigin.url.Transformation.Radius;

/**
 * Writes a transformation in its one canonical form, the inverse of {@link TransformationParser}:
 * equal values print equal strings (the variant's identity in caches and ETags), and parsing
 * the printed string gives an equal value back.
 *
 * <p>The canonical form: parameters sorted by name, defaults left out ({@code c_scale},
 * {@code g_center}, {@code dpr_1.0}), presets expanded, {@code q_auto} for {@code q_auto:good},
 * {@code e_blur} for {@code e_blur:100}, {@code f_jpg} for {@code f_jpeg}, lower-case hex, and
 * numbers in the shortest plain decimal that reads back as the same {@code double}: fractions
 * and DPR always with a point ({@code w_0.5}, {@code dpr_2.0}), since {@code w_1} is one pixel
 * but {@code w_1.0} the full width.
 */
public final class TransformationPrinter {
    private TransformationPrinter() {
    }

    /**
     * The canonical form; empty for {@link Transformation#NONE}. Chained stages are joined by
     * {@code /}, the request-wide parameters printed in the final stage.
     */
    public static String print(Transformation t) {
        if (t.before().isEmpty()) {
            return stage(t);
        }
        StringJoiner stages = new StringJoiner("/");
        t.before().forEach(stage -> stages.add(stage(stage)));
        return stages.add(stage(t)).toString();
    }

    private static String stage(Transformation t) {
        // The order of these lines is the canonical order: alphabetical by parameter name.
        StringJoiner out = new StringJoiner(",");
        t.angle().ifPresent(a -> out.add("a_" + a.code()));
        t.aspectRatio().ifPresent(ar -> out.add("ar_" + aspectRatio(ar)));
        t.background().ifPresent(b -> out.add("b_rgb:" + b.hex()));
        t.border().ifPresent(b -> out.add("bo_" + b.width() + "px_solid_rgb:" + b.colour().hex()));
        if (t.crop() != Crop.SCALE) {
            out.add("c_" + t.crop().code());
        }
        t.defaultImage().ifPresent(d -> out.add("d_" + d.value()));
        t.dpr().ifPresent(d -> out.add("dpr_" + switch (d) {
            case Dpr.Fixed f -> withPoint(f.value());
            case Dpr.Auto a -> "auto";
        }));
        t.effects().asMap().entrySet().stream()
                .sorted(java.util.Map.Entry.comparingByKey(java.util.Comparator.comparing(Effect::code)))
                .forEach(e -> out.add(effect(e.getKey(), e.getValue())));
        t.format().ifPresent(f -> out.add("f_" + switch (f) {
            case FormatChoice.Fixed fixed -> fixed.format().extension();
            case FormatChoice.Auto a -> "auto";
        }));
        if (t.attachment()) {
            out.add("fl_attachment");
        }
        if (t.progressive()) {
            out.add("fl_progressive");
        }
        if (t.gravity() != Gravity.CENTER) {
            out.add("g_" + t.gravity().code());
        }
        t.height().ifPresent(h -> out.add("h_" + length(h)));
        t.opacity().ifPresent(o -> out.add("o_" + o));
        t.page().ifPresent(p -> out.add("pg_" + p));
        t.quality().ifPresent(q -> out.add("q_" + switch (q) {
            case Quality.Fixed fixed -> Integer.toString(fixed.value());
            case Quality.Auto auto when auto.level() == Quality.Level.GOOD -> "auto";
            case Quality.Auto auto -> "auto:" + auto.level().code();
        }));
        t.radius().ifPresent(r -> out.add("r_" + switch (r) {
            case Radius.Pixels p -> Integer.toString(p.value());
            case Radius.Max m -> "max";
        }));
        t.width().ifPresent(w -> out.add("w_" + length(w)));
        t.x().ifPresent(x -> out.add("x_" + offset(x)));
        t.y().ifPresent(y -> out.add("y_" + offset(y)));
        t.zoom().ifPresent(z -> out.add("z_" + withPoint(z)));
        return out.toString();
    }

    private static String offset(Offset offset) {
        return switch (offset) {
            case Offset.Pixels p -> Integer.toString(p.value());
            case Offset.Fraction f -> withPoint(f.value());
        };
    }

    private static String length(Length length) {
        return switch (length) {
            case Length.Pixels p -> Integer.toString(p.value());
            case Length.Fraction f -> withPoint(f.value());
            case Length.Auto a -> a.fallback().isPresent() ? "auto:" + a.fallback().getAsInt() : "auto";
        };
    }

    /**
     * {@code 16:9} as written in colon form; otherwise the decimal, with a point so it never
     * reads as a colon-less integer. The parser only makes decimal forms over 1.0; any other
     * height is folded into the printed ratio, so the meaning survives.
     */
    private static String aspectRatio(AspectRatio ar) {
        return ar.colonForm()
                ? plain(ar.width()) + ":" + plain(ar.height())
                : withPoint(ar.ratio());
    }

    /** {@code e_<name>}, with {@code :<value>} unless it is the effect's default. */
    private static String effect(Effect effect, int value) {
        return !effect.takesValue() || value == effect.defaultValue()
                ? "e_" + effect.code()
                : "e_" + effect.code() + ":" + value;
    }

    /** {@code 2.0}, {@code 0.5}, {@code 100.0}: {@link #plain} with at least one decimal. */
    private static String withPoint(double value) {
        String text = plain(value);
        return text.indexOf('.') < 0 ? text + ".0" : text;
    }

    /**
     * The shortest decimal that reads back as {@code value} ({@link Double#toString} digits,
     * which are shortest since JDK 19), without the exponent the parser refuses and without
     * trailing zeros: {@code 16}, {@code 1.5}, {@code 0.00001}.
     */
    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
