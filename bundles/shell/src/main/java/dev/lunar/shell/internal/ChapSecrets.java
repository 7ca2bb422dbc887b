package dev.lunar.shell.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.karaf.shell.api.console.Session;

/**
 * CHAP secrets as the shell takes them: from an option, or typed without echo (so they stay out of
 * the shell history and off the screen), and checked against the rules of RFC 7143 §9.2.1.
 */
final class ChapSecrets {

    /**
     * RFC 7143 §9.2.1: a secret with less than 96 random bits is open to an offline dictionary
     * attack on a captured exchange unless the connection is encrypted.
     */
    static final int MIN_RECOMMENDED_BYTES = 12;

    /** JLine's mask character that echoes nothing at all (not even one star per key). */
    private static final char NO_ECHO = 0;

    private ChapSecrets() {
    }

    /**
     * The secret given on the command line or, when none was, typed twice without echo.
     *
     * @param what the secret's name in prompts and sentences, for example "CHAP secret"
     * @throws IllegalArgumentException when there is no terminal to type on or the two differ
     */
    static String given(String option, Session session, String what) throws IOException {
        if (option != null) {
            return option;
        }
        if (session == null) {
            throw new IllegalArgumentException("Give the " + what + " as an option: there is no terminal to type it on.");
        }
        String first = session.readLine(what + ": ", NO_ECHO);
        if (first == null || first.isEmpty()) {
            throw new IllegalArgumentException("No " + what + " was typed; nothing was changed.");
        }
        String again = session.readLine(what + " again: ", NO_ECHO);
        if (!first.equals(again)) {
            throw new IllegalArgumentException("The two " + what + "s typed differ; nothing was changed.");
        }
        return first;
    }

    /**
     * Refuses what RFC 7143 forbids and warns about what it discourages.
     *
     * @param mutualSecret the secret the target presents, or null without mutual CHAP
     * @throws IllegalArgumentException when both directions would use one secret
     */
    static void check(String secret, String mutualSecret, PrintStream warnings) {
        // §9.2.1: a secret used to authenticate initiators MUST NOT also authenticate the target;
        // otherwise a rogue target can replay the initiator's own answer back at it.
        if (mutualSecret != null && mutualSecret.equals(secret)) {
            throw new IllegalArgumentException("The mutual secret must differ from the CHAP secret (RFC 7143 §9.2.1).");
        }
        warnIfShort(secret, "CHAP secret", warnings);
        if (mutualSecret != null) {
            warnIfShort(mutualSecret, "mutual secret", warnings);
        }
    }

    private static void warnIfShort(String secret, String what, PrintStream warnings) {
        if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_RECOMMENDED_BYTES) {
            warnings.println("Warning: the " + what + " is shorter than " + MIN_RECOMMENDED_BYTES
                    + " bytes; without IPsec a captured login reveals it to a dictionary attack (RFC 7143 §9.2.1).");
        }
    }
}
