package org.imgorigin.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Typed reads of environment variables; every failure names the variable. */
final class Env {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B|B)?", Pattern.CASE_INSENSITIVE);

    private final Map<String, String> vars;

    Env(Map<String, String> vars) {
        this.vars = vars;
    }

    Optional<String> string(String name) {
        String v = vars.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }

    int integer(String name, int defaultValue, int min, int max) {
        return string(name).map(v -> {
            try {
                int i = Integer.parseInt(v);
                if (i < min || i > max) {
                    throw new ConfigException(name, "must be between " + min + " and " + max + ", got " + v);
                }
                return i;
            } catch (NumberFormatException e) {
                throw new ConfigException(name, "must be an integer, got '" + v + "'");
            }
        }).orElse(defaultValue);
    }

    long longValue(String name, long defaultValue, long min) {
        return string(name).map(v -> {
            try {
                long l = Long.parseLong(v);
                if (l < min) {
                    throw new ConfigException(name, "must be at least " + min + ", got " + v);
                }
                return l;
            } catch (NumberFormatException e) {
                throw new ConfigException(name, "must be an integer, got '" + v + "'");
            }
        }).orElse(defaultValue);
    }

    /**
     * {@code true} or {@code false} (any case), or {@code 1} / {@code 0}. Nothing else: a value
     * such as {@code yes}, {@code on} or {@code enabled} is refused rather than guessed at, so
     * a typo cannot quietly mean the opposite of what was meant.
     */
    boolean bool(String name, boolean defaultValue) {
        return string(name).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new ConfigException(name, "must be true or false (or 1 or 0), got '" + v + "'");
        }).orElse(defaultValue);
    }

    long size(String name, String defaultValue) {
        String v = string(name).orElse(defaultValue);
        try {
            return parseSize(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, e.getMessage());
        }
    }

    /** {@code 512MB} (10^6), {@code 10GiB} (2^30), or plain bytes. */
    static long parseSize(String value) {
        Matcher m = SIZE.matcher(value.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("must be a size like 512MB, 10GiB or plain bytes, got '" + value + "'");
        }
        long number = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        long multiplier = switch (unit) {
            case "B" -> 1L;
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            case "TB" -> 1_000_000_000_000L;
            case "KIB" -> 1L << 10;
            case "MIB" -> 1L << 20;
            case "GIB" -> 1L << 30;
            case "TIB" -> 1L << 40;
            default -> throw new IllegalArgumentException("unknown size unit in '" + value + "'");
        };
        if (number > Long.MAX_VALUE / multiplier) {
            throw new IllegalArgumentException("size is too large: '" + value + "'");
        }
        return number * multiplier;
    }
}
