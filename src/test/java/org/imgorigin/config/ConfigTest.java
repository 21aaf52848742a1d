package org.imgorigin.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigTest {

    @Test
    void defaultsAreTheSpecs() {
        Config c = Config.fromEnv(Map.of());
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.workers()).isEqualTo(cores);
        assertThat(c.queue()).isEqualTo(8 * cores);
        assertThat(c.originals().url()).isEqualTo("file:./data/originals");
        assertThat(c.originals().s3Region()).isEqualTo("us-east-1");
        assertThat(c.originals().s3PathStyle()).isFalse();
        assertThat(c.cache().dir()).isEqualTo(Path.of("./data/cache"));
        assertThat(c.cache().maxBytes()).isEqualTo(10L << 30);
        assertThat(c.cache().memoryBytes()).isEqualTo(256_000_000L);
        assertThat(c.cache().originalsBytes()).isEqualTo(2L << 30);
        assertThat(c.limits().timeout()).isEqualTo(java.time.Duration.ofSeconds(10));
        assertThat(c.cache().accelPrefix()).isEmpty();
        assertThat(c.maxUploadBytes()).isEqualTo(50_000_000L);
        assertThat(c.limits().maxSourcePixels()).isEqualTo(50_000_000L);
        assertThat(c.limits().maxDimension()).isEqualTo(8192);
        assertThat(c.limits().maxOutputPixels()).isEqualTo(40_000_000L);
        assertThat(c.uploadToken()).isEmpty();
        assertThat(c.signer()).isEmpty();
        assertThat(c.eager()).isEmpty();
    }

    @Test
    void connectionBoundsDefaultToTheDocumentedValues() {
        Config.Connections c = Config.fromEnv(Map.of()).connections();
        assertThat(c.headerTimeout()).isEqualTo(java.time.Duration.ofSeconds(10));
        assertThat(c.keepAliveTimeout()).isEqualTo(java.time.Duration.ofSeconds(75));
        long files = ((com.sun.management.UnixOperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        assertThat(c.max()).isEqualTo((int) Math.max(64, Math.min(10_000, files / 2)));
    }

    @Test
    void connectionBoundsAreRead() {
        Config.Connections c = Config.fromEnv(Map.of("IMGORIGIN_HEADER_TIMEOUT", "3",
                "IMGORIGIN_KEEPALIVE_TIMEOUT", "30", "IMGORIGIN_MAX_CONNECTIONS", "500")).connections();
        assertThat(c.headerTimeout()).isEqualTo(java.time.Duration.ofSeconds(3));
        assertThat(c.keepAliveTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(c.max()).isEqualTo(500);
        for (String name : new String[] {"IMGORIGIN_HEADER_TIMEOUT", "IMGORIGIN_KEEPALIVE_TIMEOUT",
                "IMGORIGIN_MAX_CONNECTIONS"}) {
            assertThatThrownBy(() -> Config.fromEnv(Map.of(name, "0"))).hasMessageContaining(name);
            assertThatThrownBy(() -> Config.fromEnv(Map.of(name, "soon"))).hasMessageContaining(name);
        }
    }

    @Test
    void readsEveryVariable() {
        Config c = Config.fromEnv(Map.ofEntries(
                Map.entry("IMGORIGIN_PORT", "9000"),
                Map.entry("IMGORIGIN_WORKERS", "3"),
                Map.entry("IMGORIGIN_ORIGINALS", "s3://bucket/prefix"),
                Map.entry("IMGORIGIN_S3_ENDPOINT", "http://127.0.0.1:9001"),
                Map.entry("IMGORIGIN_S3_REGION", "eu-west-1"),
                Map.entry("IMGORIGIN_S3_PATH_STYLE", "true"),
                Map.entry("IMGORIGIN_CACHE_DIR", "/var/cache/imgorigin"),
                Map.entry("IMGORIGIN_CACHE_MAX_BYTES", "512MB"),
                Map.entry("IMGORIGIN_MEMORY_CACHE_BYTES", "64MiB"),
                Map.entry("IMGORIGIN_ACCEL_PREFIX", "/_cache/"),
                Map.entry("IMGORIGIN_UPLOAD_TOKEN", "up"),
                Map.entry("IMGORIGIN_MAX_UPLOAD_BYTES", "1048576"),
                Map.entry("IMGORIGIN_PRESETS", "thumb=c_fill,w_150,h_150;hero=w_1600,q_auto"),
                Map.entry("IMGORIGIN_EAGER", "t_thumb;w_600")));
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.queue()).isEqualTo(24);
        assertThat(c.originals().s3Endpoint()).contains("http://127.0.0.1:9001");
        assertThat(c.originals().s3PathStyle()).isTrue();
        assertThat(c.cache().maxBytes()).isEqualTo(512_000_000L);
        assertThat(c.cache().memoryBytes()).isEqualTo(64L << 20);
        assertThat(c.cache().accelPrefix()).isEqualTo(Optional.of("/_cache/"));
        assertThat(c.maxUploadBytes()).isEqualTo(1_048_576L);
        assertThat(c.presets().get("hero")).isPresent();
        assertThat(c.eager()).hasSize(2);
    }

    /** The README's example of IMGORIGIN_EAGER (Configuration) is a list; with ';' an entry may hold several parameters. */
    @Test
    void eagerIsAListByCommasOrBySemicolons() {
        String presets = "thumb=c_fill,w_150,h_150";
        Config spec = Config.fromEnv(Map.of("IMGORIGIN_PRESETS", presets, "IMGORIGIN_EAGER", "t_thumb,w_600"));
        assertThat(spec.eager()).extracting(org.imgorigin.url.TransformationPrinter::print)
                .containsExactly("c_fill,h_150,w_150", "w_600");
        Config grouped = Config.fromEnv(Map.of("IMGORIGIN_PRESETS", presets, "IMGORIGIN_EAGER", "t_thumb; f_png,w_50"));
        assertThat(grouped.eager()).extracting(org.imgorigin.url.TransformationPrinter::print)
                .containsExactly("c_fill,h_150,w_150", "f_png,w_50");
    }

    /** The watermark marks eager variants as it marks requests; an unmarked preset as it is stays unmarked. */
    @Test
    void theWatermarkMarksEagerVariantsButUnmarkedPresets() {
        String mark = "abcdef0123456789abcdef0123456789abcdef01";
        Config c = Config.fromEnv(Map.of("IMGORIGIN_PRESETS", "thumb=c_fill,w_150,h_150",
                "IMGORIGIN_EAGER", "t_thumb;w_600,f_webp;t_thumb,w_300;f_auto,w_400",
                "IMGORIGIN_WATERMARK", "l_" + mark + ",g_south_east,o_50",
                "IMGORIGIN_WATERMARK_SKIP_PRESETS", "thumb"));
        assertThat(c.eager()).extracting(org.imgorigin.url.TransformationPrinter::print).containsExactly(
                "c_fill,h_150,w_150",
                "w_600/f_webp,g_south_east,l_" + mark + ",o_50",
                "c_fill,h_150,w_300/g_south_east,l_" + mark + ",o_50",
                "w_400/f_auto,g_south_east,l_" + mark + ",o_50");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            IMGORIGIN_WATERMARK              | w_300
            IMGORIGIN_WATERMARK              | l_nothex
            IMGORIGIN_WATERMARK              | l_abcdef0123456789abcdef0123456789abcdef01,f_webp
            IMGORIGIN_WATERMARK_SKIP_PRESETS | thumb
            """)
    void aBadWatermarkStopsStartUpNamingTheVariable(String name, String value) {
        Map<String, String> env = new java.util.HashMap<>(Map.of(name, value));
        if (name.equals("IMGORIGIN_WATERMARK_SKIP_PRESETS")) {
            env.put("IMGORIGIN_WATERMARK", "l_abcdef0123456789abcdef0123456789abcdef01");
        }
        assertThatThrownBy(() -> Config.fromEnv(env)).hasMessageStartingWith(name + ": ");
    }

    @Test
    void eagerViaIsTheBalancersBaseUrlAndNeedsTheAdminToken() {
        Map<String, String> cluster = Map.of("IMGORIGIN_EAGER", "w_300", "IMGORIGIN_ADMIN_TOKEN", "t0ken");
        assertThat(Config.fromEnv(cluster).eagerVia()).isEmpty();
        for (String value : new String[] {"http://balancer:80", "http://balancer:80/", " http://10.0.0.5:8001 "}) {
            Map<String, String> env = new java.util.HashMap<>(cluster);
            env.put("IMGORIGIN_EAGER_VIA", value);
            assertThat(Config.fromEnv(env).eagerVia().map(java.net.URI::toString))
                    .hasValue(value.strip().replaceAll("/$", ""));
        }
        for (String bad : new String[] {"balancer:80", "ftp://balancer", "http://balancer/eager", "http://b?x=1",
                "http://user@balancer", "http://", "not a url"}) {
            Map<String, String> env = new java.util.HashMap<>(cluster);
            env.put("IMGORIGIN_EAGER_VIA", bad);
            assertThatThrownBy(() -> Config.fromEnv(env)).as(bad).hasMessageStartingWith("IMGORIGIN_EAGER_VIA: ");
        }
        // Nothing to hand off, and nothing wrong: a fleet's shared settings may name the balancer anyway.
        assertThat(Config.fromEnv(Map.of("IMGORIGIN_EAGER_VIA", "http://balancer", "IMGORIGIN_ADMIN_TOKEN", "t0ken"))
                .eagerVia()).isPresent();
        assertThatThrownBy(() -> Config.fromEnv(Map.of("IMGORIGIN_EAGER_VIA", "http://balancer",
                "IMGORIGIN_EAGER", "w_300"))).hasMessageStartingWith("IMGORIGIN_EAGER_VIA: needs IMGORIGIN_ADMIN_TOKEN");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            IMGORIGIN_PORT                | eighty
            IMGORIGIN_PORT                | 70000
            IMGORIGIN_WORKERS             | 0
            IMGORIGIN_QUEUE               | -1
            IMGORIGIN_ORIGINALS           | ftp://somewhere
            IMGORIGIN_ORIGINALS           | s3://
            IMGORIGIN_S3_ENDPOINT         | not a url
            IMGORIGIN_S3_PATH_STYLE       | maybe
            IMGORIGIN_S3_PATH_STYLE       | yes
            IMGORIGIN_S3_PATH_STYLE       | on
            IMGORIGIN_ACCESS_LOG          | no
            IMGORIGIN_ACCESS_LOG          | off
            IMGORIGIN_HOST                | example.com
            IMGORIGIN_HOST                | 0.0.0.0:8080
            IMGORIGIN_HOST                | 256.0.0.1
            IMGORIGIN_HOST                | 127.1
            IMGORIGIN_HOST                | 10.0.0.0/8
            IMGORIGIN_HOST                | ::1::2
            IMGORIGIN_HOST                | http://127.0.0.1
            IMGORIGIN_CACHE_MAX_BYTES     | 10 parsecs
            IMGORIGIN_CACHE_MAX_BYTES     | -5
            IMGORIGIN_MEMORY_CACHE_BYTES  | 1.5GB
            IMGORIGIN_ACCEL_PREFIX        | _cache
            IMGORIGIN_MAX_UPLOAD_BYTES    | 99999999999999999999999
            IMGORIGIN_MAX_SOURCE_PIXELS   | 0
            IMGORIGIN_MAX_DIMENSION       | big
            IMGORIGIN_MAX_OUTPUT_PIXELS   | 0
            IMGORIGIN_PRESETS             | thumb
            IMGORIGIN_PRESETS             | thumb=w_abc
            IMGORIGIN_EAGER               | t_missing
            IMGORIGIN_SIGNING_KEY         | short
            IMGORIGIN_RENDER_TIMEOUT      | 0
            IMGORIGIN_RENDER_TIMEOUT      | 5s
            IMGORIGIN_AVIF_EFFORT         | 10
            IMGORIGIN_UPLOAD_IDLE_TIMEOUT | -1
            """)
    void aBadValueNamesItsVariable(String variable, String value) {
        assertThatThrownBy(() -> Config.fromEnv(Map.of(variable, value)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(variable + ": ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @ParameterizedTest
    @CsvSource({"512MB,512000000", "10GiB,10737418240", "1234,1234", "1kb,1000", "2KiB,2048", "3 TB,3000000000000", "0,0"})
    void sizes(String text, long bytes) {
        assertThat(Env.parseSize(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @CsvSource({"127.0.0.1,127.0.0.1", "0.0.0.0,0.0.0.0", "localhost,127.0.0.1", "::1,0:0:0:0:0:0:0:1",
            "[::1],0:0:0:0:0:0:0:1", "::,0:0:0:0:0:0:0:0", "192.0.2.10,192.0.2.10", "' 10.1.2.3 ',10.1.2.3"})
    void hostIsAnAddressLiteralOrLocalhost(String value, String bound) {
        assertThat(Config.fromEnv(Map.of("IMGORIGIN_HOST", value)).host()).isEqualTo(bound);
    }

    @ParameterizedTest
    @CsvSource({"true,true", "TRUE,true", "1,true", "false,false", "False,false", "0,false"})
    void booleansAreTrueFalseOneOrZero(String value, boolean expected) {
        assertThat(Config.fromEnv(Map.of("IMGORIGIN_S3_PATH_STYLE", value)).originals().s3PathStyle())
                .isEqualTo(expected);
        assertThat(Config.fromEnv(Map.of("IMGORIGIN_ACCESS_LOG", value)).accessLog()).isEqualTo(expected);
    }

    /** A preset over the dimension bound would be accepted here and then fail every request (400). */
    @ParameterizedTest(name = "{0} with max {1}")
    @CsvSource(delimiter = '|', textBlock = """
            big=w_9000                        | 8192
            big=h_2000                        | 1000
            big=w_3000,dpr_3                  | 8192
            big=w_1000,ar_1:3                 | 2000
            big=c_fill,w_100,h_5000           | 4096
            """)
    void aPresetOverMaxDimensionIsRefused(String presets, String max) {
        assertThatThrownBy(() -> Config.fromEnv(Map.of("IMGORIGIN_PRESETS", "ok=w_100;" + presets,
                "IMGORIGIN_MAX_DIMENSION", max)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("IMGORIGIN_PRESETS: ")
                .hasMessageContaining("'big'")
                .hasMessageContaining("IMGORIGIN_MAX_DIMENSION");
    }

    @Test
    void presetsWithinMaxDimensionOrSizedByTheRequestAreAccepted() {
        Config c = Config.fromEnv(Map.of("IMGORIGIN_MAX_DIMENSION", "2000", "IMGORIGIN_PRESETS",
                "a=w_1000,dpr_2;b=w_0.5,dpr_4;c=w_auto:400,dpr_auto;d=h_2000;e=w_1000,ar_1:2"));
        assertThat(c.presets().byName()).hasSize(5);
    }

    @Test
    void anEagerEntryOverMaxDimensionIsRefused() {
        assertThatThrownBy(() -> Config.fromEnv(Map.of("IMGORIGIN_MAX_DIMENSION", "1000",
                "IMGORIGIN_EAGER", "w_600;w_1200,f_webp")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("IMGORIGIN_EAGER: ")
                .hasMessageContaining("w_1200")
                .hasMessageContaining("IMGORIGIN_MAX_DIMENSION");
        assertThatThrownBy(() -> Config.fromEnv(Map.of("IMGORIGIN_MAX_DIMENSION", "1000",
                "IMGORIGIN_EAGER", "w_10;h_600,dpr_2")))
                .hasMessageStartingWith("IMGORIGIN_EAGER: ");
    }
}
