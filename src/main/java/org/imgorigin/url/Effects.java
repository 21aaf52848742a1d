package org.imgorigin.url;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The effects of one stage, each with its value ({@link Effect#NO_VALUE} for those that take
 * none), in {@link Effect}'s order: the order they are applied in. Immutable; effects whose
 * value changes nothing are never held, so equivalent stages are equal.
 */
public final class Effects {
    public static final Effects NONE = new Effects(new EnumMap<>(Effect.class));

    private final Map<Effect, Integer> values;

    private Effects(EnumMap<Effect, Integer> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** These effects with {@code effect} at {@code value} (or without it, when that value is a no-op). */
    public Effects with(Effect effect, int value) {
        EnumMap<Effect, Integer> copy = values.isEmpty() ? new EnumMap<>(Effect.class) : new EnumMap<>(values);
        if (effect.identity(value)) {
            copy.remove(effect);
        } else {
            copy.put(effect, value);
        }
        return new Effects(copy);
    }

    public OptionalInt get(Effect effect) {
        Integer value = values.get(effect);
        return value == null ? OptionalInt.empty() : OptionalInt.of(value);
    }

    public boolean has(Effect effect) {
        return values.containsKey(effect);
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** Every effect held, in the order they are applied. */
    public Map<Effect, Integer> asMap() {
        return values;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Effects e && values.equals(e.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
