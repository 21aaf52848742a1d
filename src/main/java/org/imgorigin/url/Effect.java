package org.imgorigin.url;

import java.util.Optional;

/**
 * The {@code e_<name>[:<value>]} effects, with Cloudinary's names, ranges and defaults: the one
 * place that says what an effect's value may be. The parser and printer read it from here; the
 * renderer's {@code EffectsStep} applies each (an exhaustive switch, so a new constant cannot be
 * parsed without being applied), in this order.
 */
public enum Effect {
    /** Trims a border of one colour (that of the top-left pixel) within a tolerance, before resizing. */
    TRIM("trim", 0, 100, 10, Optional.empty()),
    /** Squares of {@code n} pixels; {@code 0} (no value) picks a size from the image's. */
    PIXELATE("pixelate", 1, 200, 0, Optional.empty()),
    BLUR("blur", 1, 2000, 100, Optional.empty()),
    SHARPEN("sharpen", 1, 2000, 100, Optional.empty()),
    BRIGHTNESS("brightness", -99, 100, 80, Optional.of(0)),
    CONTRAST("contrast", -100, 100, 0, Optional.of(0)),
    SATURATION("saturation", -100, 100, 80, Optional.of(0)),
    GRAYSCALE("grayscale"),
    SEPIA("sepia", 1, 100, 80, Optional.empty()),
    NEGATE("negate");

    /** The value of an effect that takes none. */
    static final int NO_VALUE = 0;

    private final String code;
    private final boolean takesValue;
    private final int min;
    private final int max;
    private final int defaultValue;
    private final Optional<Integer> identity;

    Effect(String code, int min, int max, int defaultValue, Optional<Integer> identity) {
        this.code = code;
        this.takesValue = true;
        this.min = min;
        this.max = max;
        this.defaultValue = defaultValue;
        this.identity = identity;
    }

    Effect(String code) {
        this.code = code;
        this.takesValue = false;
        this.min = NO_VALUE;
        this.max = NO_VALUE;
        this.defaultValue = NO_VALUE;
        this.identity = Optional.empty();
    }

    public String code() {
        return code;
    }

    public boolean takesValue() {
        return takesValue;
    }

    public int defaultValue() {
        return defaultValue;
    }

    /** True when applying this effect at {@code value} changes nothing ({@code e_contrast:0}): it vanishes. */
    boolean identity(int value) {
        return identity.isPresent() && identity.get() == value;
    }

    /** The rule shown when a value is out of range or not a number. */
    String rule() {
        if (!takesValue) {
            return "e_" + code + " takes no value";
        }
        return "e_" + code + " takes an integer " + min + " to " + max + " (default "
                + (this == PIXELATE ? "chosen from the image's size" : Integer.toString(defaultValue)) + ")";
    }

    int min() {
        return min;
    }

    int max() {
        return max;
    }

    boolean inRange(int value) {
        return value >= min && value <= max;
    }

    static Optional<Effect> named(String code) {
        for (Effect effect : values()) {
            if (effect.code.equals(code)) {
                return Optional.of(effect);
            }
        }
        return Optional.empty();
    }
}
