package org.inflvg.cli;

/** Bad input from the user: the command exits with code 2 and prints the message, which says what to do. */
public final class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }
}
