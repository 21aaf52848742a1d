package org.imgorigin.store;

import java.util.regex.Pattern;

/** What a journal entry's name may be: one path segment of safe ASCII, in every store alike. */
final class Journal {
    private static final Pattern NAME = Pattern.compile("[0-9A-Za-z][0-9A-Za-z._-]{0,199}");

    private Journal() {
    }

    static boolean valid(String name) {
        return NAME.matcher(name).matches();
    }

    /** The name, or an exception: names come from this program, so a bad one is a bug. */
    static String checked(String name) {
        if (!valid(name)) {
            throw new IllegalArgumentException("bad journal entry name '" + name + "'");
        }
        return name;
    }
}
