package org.imgorigin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DeviceClassTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            ?1 | Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131 Mobile Safari/537.36 | MOBILE
            -  | Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 | MOBILE
            -  | Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 | TABLET
            ?0 | Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/131 Safari/537.36 | TABLET
            ?0 | Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131 Safari/537.36 | DESKTOP
            -  | Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0 | DESKTOP
            -  | Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) | BOT
            -  | curl/7.88.1 | BOT
            -  | - | UNKNOWN
            """)
    void classifies(String mobileHint, String userAgent, DeviceClass expected) {
        assertThat(DeviceClass.of(mobileHint, userAgent)).isEqualTo(expected);
    }
}
