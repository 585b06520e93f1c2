package io.keycloaksentinel.authenticators.breach.index;

/**
 * An index file that cannot be used: missing, empty, truncated, not an index, of another
 * version, or corrupt (checksum mismatch, inconsistent tables). The message says which, in one
 * line, and names the file.
 */
public final class IndexFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    public IndexFormatException(String message) {
        super(message);
    }
}
