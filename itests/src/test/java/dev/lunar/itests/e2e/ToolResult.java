package dev.lunar.itests.e2e;

import java.util.List;

/**
 * What an external program did: its exit code (-1 when it was killed after its timeout) and its
 * combined stdout and stderr.
 */
public record ToolResult(List<String> command, int exitCode, String output, boolean timedOut) {

    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }

    /** One line for assertion messages: the command, how it ended, and everything it printed. */
    public String describe() {
        return String.join(" ", command) + (timedOut ? " timed out" : " exited " + exitCode) + ", output:\n" + output;
    }
}
