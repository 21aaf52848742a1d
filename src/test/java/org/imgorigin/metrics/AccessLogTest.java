package org.imgorigin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessLogTest {
    private static RequestRecord record(String variant, int status, long nanos) {
        return new RequestRecord("3972b16287e595a88a50624587bccc66ece0f4c7", variant, "webp", "2.0",
                DeviceClass.MOBILE, status, "HIT-DISK", 25_838, 1_485_159, nanos);
    }

    @Test
    void everyRequestIsOneJsonLineWithTheDocumentedFields() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (AccessLog log = new AccessLog(out)) {
            log.write(record("q_80,w_300.webp", 200, 1_234_567));
            log.write(record("", 400, 10_000));
        }
        List<String> lines = out.toString(java.nio.charset.StandardCharsets.US_ASCII).lines().toList();
        assertThat(lines).hasSize(2);
        JsonObject first = new JsonObject(lines.get(0));
        assertThat(first.fieldNames()).containsExactly("time", "id", "variant", "format", "dpr", "device", "status",
                "cache", "bytes", "ms");
        assertThat(Instant.parse(first.getString("time"))).isBeforeOrEqualTo(Instant.now());
        assertThat(first.getString("id")).isEqualTo("3972b16287e595a88a50624587bccc66ece0f4c7");
        assertThat(first.getString("variant")).isEqualTo("q_80,w_300.webp");
        assertThat(first.getString("device")).isEqualTo(DeviceClass.MOBILE.code());
        assertThat(first.getInteger("status")).isEqualTo(200);
        assertThat(first.getString("cache")).isEqualTo("HIT-DISK");
        assertThat(first.getLong("bytes")).isEqualTo(25_838);
        assertThat(first.getDouble("ms")).isEqualTo(1.23);
        assertThat(new JsonObject(lines.get(1)).getInteger("status")).isEqualTo(400);
    }

    @Test
    void quotesBackslashesAndControlCharactersAreEscaped() {
        AccessLog.Ascii out = new AccessLog.Ascii(16);
        String nasty = "a\"b\\c\nd\u0001é\u20ac";
        AccessLog.format(new AccessLog.Timestamps(), Instant.EPOCH, record(nasty, 200, 0), out);
        String line = out.toString();
        assertThat(line).endsWith("}\n");
        assertThat(line.strip()).doesNotContain("\n");
        assertThat(line.chars()).as("ASCII only").allMatch(c -> c < 0x80);
        assertThat(new JsonObject(line).getString("variant")).isEqualTo(nasty);
    }

    @Test
    void timestampsAreIsoInstantsWithNanoseconds() {
        AccessLog.Timestamps timestamps = new AccessLog.Timestamps();
        for (Instant t : new Instant[] {Instant.parse("2026-11-23T16:22:09.000000001Z"),
                Instant.parse("2026-11-23T16:22:09.5Z"), Instant.parse("2026-11-23T16:22:10Z"), Instant.now()}) {
            AccessLog.Ascii out = new AccessLog.Ascii(4);
            timestamps.write(t, out);
            assertThat(Instant.parse(out.toString())).isEqualTo(t);
        }
    }

    @Test
    void millisecondsArePrintedAsTheDoubleOfHundredthsWouldBe() {
        java.util.Random random = new java.util.Random(7);
        long[] fixed = {0, 4_999, 5_000, 10_000, 50_000, 100_000, 1_000_000, 1_234_567, 10_050_000, 999_994_999,
            123_456_789_012L, 9_999_999_994_999L, 9_999_999_995_000L, 10_000_000_000_000L, 12_345_678_901_234L,
            -1, -20_000};
        java.util.stream.LongStream values = java.util.stream.LongStream.concat(java.util.Arrays.stream(fixed),
                random.longs(20_000, 0, 600_000_000_000L));
        values.forEach(nanos -> {
            AccessLog.Ascii out = new AccessLog.Ascii(1);
            AccessLog.milliseconds(nanos, out);
            assertThat(out.toString()).as("%d ns", nanos)
                    .isEqualTo(Double.toString(Math.round(nanos / 10_000.0) / 100.0));
        });
    }

    @Test
    void numbersOfEveryMagnitude() {
        for (long n : new long[] {0, 7, 10, 99, 100, 25_838, Integer.MAX_VALUE, Long.MAX_VALUE, -1, -250,
            Long.MIN_VALUE}) {
            AccessLog.Ascii out = new AccessLog.Ascii(2);
            assertThat(out.put(n).toString()).isEqualTo(Long.toString(n));
        }
    }
}
