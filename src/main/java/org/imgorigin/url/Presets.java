package org.imgorigin.url;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.Optional;

/**
 * Named transformations from {@code IMGORIGIN_PRESETS}, used in URLs as {@code t_<name>}.
 * Each preset is stored expanded, so a preset can never refer to another.
 */
public record Presets(Map<String, Transformation> byName, List<Transformation> watermark, Set<String> unmarked) {
    public static final Presets NONE = new Presets(Map.of());

    public Presets(Map<String, Transformation> byName) {
        this(byName, List.of(), Set.of());
    }

    public Presets {
        byName = Map.copyOf(byName);
        watermark = List.copyOf(watermark);
        unmarked = Set.copyOf(unmarked);
        for (Transformation stage : watermark) {
            if (stage.layer().isEmpty() || !stage.before().isEmpty() || !stage.deliverySet().isEmpty()) {
                throw new IllegalArgumentException("a watermark is layers only: " + stage);
            }
        }
        for (String name : unmarked) {
            if (!byName.containsKey(name)) {
                throw new IllegalArgumentException("no preset named '" + UrlException.echo(name) + "'");
            }
        }
        byName.keySet().forEach(name -> {
            if (!TransformationParser.PRESET_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("bad preset name '" + name
                        + "': use lowercase letters, digits, '_' and '-'");
            }
        });
    }

    public Optional<Transformation> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * These presets with a watermark ({@code IMGORIGIN_WATERMARK}): layers in the URL grammar,
     * {@code l_<id>,g_south_east,x_0.02,y_0.02,w_0.15,fl_relative,o_60}, drawn last on every
     * variant except those of a preset in {@code unmarked} used as it is.
     *
     * @throws IllegalArgumentException naming what is wrong with the watermark
     */
    public Presets withWatermark(String layers, Set<String> unmarked) {
        Transformation parsed;
        try {
            parsed = TransformationParser.parseStages(List.of(layers.strip().split("/", -1)), NONE);
        } catch (UrlException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        List<Transformation> stages = parsed.stages();
        if (!parsed.deliverySet().isEmpty() || stages.stream().anyMatch(s -> s.layer().isEmpty())) {
            throw new IllegalArgumentException("a watermark is one or more layers (l_<id>,... or l_text:...) and "
                    + "nothing else");
        }
        return new Presets(byName, stages.stream().map(Transformation::pixelsOnly).toList(), unmarked);
    }

    /**
     * Whether a transformation written as {@code stages} is marked: there is a watermark, and
     * the URL does not ask for an unmarked preset as it is ({@code t_<name>}, with nothing but
     * request-wide parameters besides). The one place that decides it.
     */
    public boolean marks(List<String> stages) {
        return !watermark.isEmpty() && !unmarkedPreset(stages);
    }

    /**
     * {@code transformation} (its {@code auto} forms resolved) with the watermark drawn after its
     * last stage, its request-wide parameters kept; unchanged when there is no watermark.
     */
    public Transformation mark(Transformation transformation) {
        if (watermark.isEmpty()) {
            return transformation;
        }
        // f_auto and dpr_auto are the request's and stay on the last stage; w_auto is a stage's
        // width, which must be resolved before that stage becomes an earlier one.
        if (transformation.width().orElse(null) instanceof Transformation.Length.Auto) {
            throw new IllegalArgumentException("w_auto is resolved before the watermark is drawn");
        }
        List<Transformation> all = new ArrayList<>();
        for (Transformation stage : transformation.stages()) {
            Transformation pixels = stage.pixelsOnly();
            if (!pixels.equals(Transformation.NONE)) {
                all.add(pixels);
            }
        }
        all.addAll(watermark);
        return all.getLast().withDeliveryOf(transformation).after(all.subList(0, all.size() - 1));
    }

    private boolean unmarkedPreset(List<String> stages) {
        if (stages.size() != 1 || unmarked.isEmpty()) {
            return false;
        }
        boolean preset = false;
        for (String param : stages.getFirst().split(",", -1)) {
            if (param.startsWith("t_") && unmarked.contains(param.substring(2))) {
                preset = true;
            } else if (!Transformation.DELIVERY.contains(param.startsWith("fl_") ? param
                    : param.substring(0, Math.max(0, param.indexOf('_'))))) {
                return false;
            }
        }
        return preset;
    }

    /**
     * Reads {@code thumb=c_fill,w_150,h_150;hero=w_1600,q_auto}: definitions separated by
     * {@code ;}, each a name and a transformation in the URL grammar without {@code t_}.
     * Blank text is no presets. Spaces around names and definitions are ignored, since the
     * value often comes from a hand-edited environment file.
     *
     * @throws IllegalArgumentException naming the bad definition and what is wrong with it
     */
    public static Presets parse(String definitions) {
        Objects.requireNonNull(definitions, "definitions");
        if (definitions.isBlank()) {
            return NONE;
        }
        Map<String, Transformation> presets = new HashMap<>();
        for (String raw : definitions.split(";", -1)) {
            String definition = raw.strip();
            if (definition.isEmpty()) {
                throw new IllegalArgumentException("empty preset definition (a ';' too many?)");
            }
            int equals = definition.indexOf('=');
            if (equals < 0) {
                throw new IllegalArgumentException("preset definition '" + UrlException.echo(definition)
                        + "' is not <name>=<transformation>");
            }
            String name = definition.substring(0, equals).strip();
            String body = definition.substring(equals + 1).strip();
            if (!TransformationParser.PRESET_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("bad preset name '" + UrlException.echo(name)
                        + "': use lowercase letters, digits, '_' and '-'");
            }
            if (presets.containsKey(name)) {
                throw new IllegalArgumentException("preset '" + name + "' is defined twice");
            }
            try {
                presets.put(name, TransformationParser.parsePresetBody(body));
            } catch (UrlException e) {
                throw new IllegalArgumentException("preset '" + name + "': " + e.getMessage(), e);
            }
        }
        return new Presets(presets);
    }
}
