package org.imgorigin.url;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
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
        if (t.layer().isPresent()) {
            return layer(t);
        }
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

    /**
     * A stage that draws a layer: in one component when the layer has at most one stage of its
     * own that does not place anything itself ({@code g_}, {@code x_}, {@code y_} there would
     * read as the placement), else spread out, {@code l_<id>,.../<stages>/fl_layer_apply,...}.
     * Parameters within a component sort as everywhere else.
     */
    private static String layer(Transformation t) {
        Layer layer = t.layer().orElseThrow();
        List<String> opening = new ArrayList<>();
        opening.add("l_" + switch (layer.source()) {
            case Layer.Source.Image image -> image.id().value();
            case Layer.Source.Text text -> "text:" + font(text.font()) + ":" + Layer.encodeText(text.text());
        });
        if (layer.source() instanceof Layer.Source.Text text && !text.colour().equals(BLACK)) {
            opening.add("co_rgb:" + text.colour().hex());
        }
        if (layer.relative()) {
            opening.add("fl_relative");
        }
        List<String> placement = new ArrayList<>();
        Layer.Placement p = layer.placement();
        if (p.gravity() != Gravity.CENTER) {
            placement.add("g_" + p.gravity().code());
        }
        p.x().ifPresent(x -> placement.add("x_" + shift(x)));
        p.y().ifPresent(y -> placement.add("y_" + shift(y)));
        String delivery = stage(t.toBuilder().layer(java.util.Optional.empty()).build());
        List<Transformation> stages = layer.stages();
        boolean oneComponent = stages.isEmpty() || (stages.size() == 1 && stages.getFirst().gravity() == Gravity.CENTER
                && stages.getFirst().x().isEmpty() && stages.getFirst().y().isEmpty());
        if (!stages.isEmpty()) {
            opening.addAll(List.of(stage(stages.getFirst()).split(",")));
        }
        if (oneComponent) {
            opening.addAll(placement);
            if (!delivery.isEmpty()) {
                opening.addAll(List.of(delivery.split(",")));
            }
            return sorted(opening);
        }
        StringJoiner out = new StringJoiner("/");
        out.add(sorted(opening));
        stages.subList(1, stages.size()).forEach(stage -> out.add(stage(stage)));
        List<String> apply = new ArrayList<>(placement);
        apply.add("fl_layer_apply");
        if (!delivery.isEmpty()) {
            apply.addAll(List.of(delivery.split(",")));
        }
        return out.add(sorted(apply)).toString();
    }

    private static final Transformation.Rgb BLACK = new Transformation.Rgb(0, 0, 0);

    private static String sorted(List<String> params) {
        return params.stream().sorted().collect(java.util.stream.Collectors.joining(","));
    }

    private static String font(Layer.Font font) {
        StringBuilder out = new StringBuilder(font.family().replace(" ", "%20")).append('_').append(font.size());
        if (font.bold()) {
            out.append("_bold");
        }
        if (font.italic()) {
            out.append("_italic");
        }
        if (font.letterSpacing() != 0) {
            out.append("_letter_spacing_").append(font.letterSpacing());
        }
        if (font.lineSpacing() != 0) {
            out.append("_line_spacing_").append(font.lineSpacing());
        }
        return out.toString();
    }

    private static String shift(Layer.Shift shift) {
        return shift.fraction() ? withPoint(shift.value()) : Long.toString((long) shift.value());
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
