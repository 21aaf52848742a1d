package org.imgorigin.app;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's entry point, compiled for Java 8 (pom.xml, execution "launcher") so that an older
 * {@code java} can load it: everything else is compiled for 25, and {@code java -jar} on 17
 * would otherwise stop with an UnsupportedClassVersionError naming class file versions. On a
 * JVM older than 25 it says so in one line; on 25 it hands over to {@link Main}.
 */
public final class Launcher {
    static final int REQUIRED = 25;

    private Launcher() {
    }

    public static void main(String[] args) throws Throwable {
        String problem = problem(System.getProperty("java.specification.version"), System.getProperty("java.home"));
        if (problem != null) {
            System.err.println(problem);
            System.exit(1);
            return;
        }
        try {
            Class.forName("org.imgorigin.app.Main").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The one-line complaint about a Java older than 25, or null when this one will do. */
    static String problem(String specificationVersion, String javaHome) {
        int feature;
        try {
            String v = specificationVersion.startsWith("1.") ? specificationVersion.substring(2) : specificationVersion;
            int dot = v.indexOf('.');
            feature = Integer.parseInt(dot < 0 ? v : v.substring(0, dot));
        } catch (RuntimeException e) {
            return null; // an unreadable version: let the JVM itself judge the classes
        }
        if (feature >= REQUIRED) {
            return null;
        }
        return "imgorigin: needs Java " + REQUIRED + " or newer, but this is Java " + feature + " (" + javaHome
                + "); run bin/imgorigin serve, which finds a JDK 25 (or says how to install one), or start the jar with a Java "
                + REQUIRED + " java, e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar target/imgorigin.jar";
    }
}
