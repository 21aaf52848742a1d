package org.imgorigin.metrics;

/**
 * One image request as analytics and the access log see it. {@code id} and {@code variant}
 * are empty when the URL did not parse; {@code originalBytes} is 0 when the original was not
 * looked at.
 */
public record RequestRecord(
        String id,
        String variant,
        String format,
        String dpr,
        DeviceClass device,
        int status,
        String cache,
        long bytes,
        long originalBytes,
        long nanos) {
}
