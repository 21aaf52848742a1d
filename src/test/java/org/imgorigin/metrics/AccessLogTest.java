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
        StringBuilder line = new StringBuilder();
        String nasty = "a\"b\\c\nd\u0001é";
        AccessLog.format(new AccessLog.Timestamps().of(Instant.EPOCH), record(nasty, 200, 0), line);
        assertThat(line).endsWith("}\n");
        assertThat(line.toString().strip()).doesNotContain("\n");
        assertThat(line.chars()).as("ASCII only").allMatch(c -> c < 0x80);
        assertThat(new JsonObject(line.toString()).getString("variant")).isEqualTo(nasty);
    }

    @Test
    void timestampsAreIsoInstantsWithNanoseconds() {
        AccessLog.Timestamps timestamps = new AccessLog.Timestamps();
        for (Instant t : new Instant[] {Instant.parse("2026-11-23T16:22:09.000000001Z"),
                Instant.parse("2026-11-23T16:22:09.5Z"), Instant.parse("2026-11-23T16:22:10Z"), Instant.now()}) {
            assertThat(Instant.parse(timestamps.of(t))).isEqualTo(t);
        }
    }
}
