package org.imgorigin.config;

/** A bad configuration value; the message is one line that names the variable. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String variable, String problem) {
        super(variable + ": " + problem);
    }
}
