package io.keycloaksentinel.authenticators.breach.index;

/**
 * A Pwned Passwords text file the converter refuses: a malformed, unsorted or duplicate line.
 * The message holds the line number and a short reason, never the line's content.
 */
public final class CorpusFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    private final long lineNumber;
    private final String reason;

    public CorpusFormatException(long lineNumber, String reason) {
        super("line " + lineNumber + ": " + reason);
        this.lineNumber = lineNumber;
        this.reason = reason;
    }

    /** 1-based. */
    public long lineNumber() {
        return lineNumber;
    }

    public String reason() {
        return reason;
    }
}
