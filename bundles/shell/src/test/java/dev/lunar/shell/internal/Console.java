package dev.lunar.shell.internal;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.karaf.shell.api.action.Action;

/**
 * Runs a command the way Karaf does (its output goes to System.out, which Karaf redirects to the
 * session) and keeps what it printed. Tests run one at a time in this module (Surefire's default),
 * so swapping System.out is safe.
 */
final class Console {

    final String out;
    final String err;

    private Console(String out, String err) {
        this.out = out;
        this.err = err;
    }

    /** --no-format output with padding removed: cells separated by {@code |}. */
    String cells() {
        return out.replaceAll(" *\t *", "|");
    }

    static Console run(Action command) throws Exception {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            command.execute();
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Console(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
