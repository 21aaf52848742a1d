package org.imgorigin.url;

import java.util.Objects;

/**
 * A malformed image URL or transformation: the HTTP layer answers 400 with {@link #getMessage()}.
 *
 * <p>{@link #parameter()} is the offending parameter as written ({@code w_abc}), or the name of
 * the path part that is wrong ({@code id}, {@code extension}, {@code signature}, {@code path},
 * {@code transformation}); the message always names it too.
 */
public final class UrlException extends RuntimeException {
    /** Echoed input is cut here so a hostile URL cannot blow up an error body or a log line. */
    private static final int MAX_ECHO = 80;

    private final String parameter;

    public UrlException(String parameter, String message) {
        // No stack trace: these are answers to bad requests, thrown as often as clients like,
        // and the message says all there is to know.
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.parameter = Objects.requireNonNull(parameter, "parameter");
    }

    /** The offending parameter as written, or the name of the offending path part. */
    public String parameter() {
        return parameter;
    }

    /** {@code invalid parameter 'w_abc': <reason>}. */
    static UrlException invalidParameter(String parameter, String reason) {
        return new UrlException(parameter, "invalid parameter '" + echo(parameter) + "': " + reason);
    }

    /** {@code invalid id 'xyz': <reason>}, for the parts of a path that are not parameters. */
    static UrlException invalidPart(String part, String value, String reason) {
        return new UrlException(part, "invalid " + part + " '" + echo(value) + "': " + reason);
    }

    static String echo(String text) {
        return text.length() <= MAX_ECHO ? text : text.substring(0, MAX_ECHO) + "…";
    }
}
