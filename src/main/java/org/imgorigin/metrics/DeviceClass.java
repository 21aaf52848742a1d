package org.imgorigin.metrics;

import java.util.Locale;

/** What kind of device asked, from {@code Sec-CH-UA-Mobile} and, failing that, the user agent. */
public enum DeviceClass {
    MOBILE, TABLET, DESKTOP, BOT, UNKNOWN;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DeviceClass of(String chUaMobile, String userAgent) {
        String ua = userAgent == null ? "" : userAgent.toLowerCase(Locale.ROOT);
        if (ua.contains("bot") || ua.contains("crawler") || ua.contains("spider") || ua.startsWith("curl/")
                || ua.startsWith("wget/") || ua.startsWith("python") || ua.contains("headlesschrome")) {
            return BOT;
        }
        if ("?1".equals(chUaMobile)) {
            return MOBILE;
        }
        if (ua.contains("ipad") || ua.contains("tablet") || (ua.contains("android") && !ua.contains("mobile"))) {
            return TABLET;
        }
        if (ua.contains("mobi") || ua.contains("iphone") || ua.contains("android")) {
            return MOBILE;
        }
        if ("?0".equals(chUaMobile) || ua.contains("windows") || ua.contains("macintosh") || ua.contains("x11")
                || ua.contains("cros")) {
            return DESKTOP;
        }
        return UNKNOWN;
    }
}
