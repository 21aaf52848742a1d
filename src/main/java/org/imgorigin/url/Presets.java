package org.imgorigin.url;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Named transformations from {@code IMGORIGIN_PRESETS}, used in URLs as {@code t_<name>}.
 * Each preset is stored expanded, so a preset can never refer to another.
 */
public record Presets(Map<String, Transformation> byName) {
    public static final Presets NONE = new Presets(Map.of());

    public Presets {
        byName = Map.copyOf(byName);
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
