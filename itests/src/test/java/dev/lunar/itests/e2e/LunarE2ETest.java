package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of end-to-end tests: one Lunar process per test class on free loopback ports, started
 * before the first test and stopped after the last. Subclasses get {@link #lunar} and
 * {@link #runTool}; a class whose tests need the iSCSI port keeps {@link #needsIscsiPort()} true.
 *
 * <p>Name subclasses {@code *E2EIT} so Failsafe runs them in {@code integration-test}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class LunarE2ETest {

    /** The default an initiator finds on a fresh distribution (karaf-assembly etc/). */
    protected static final String DEFAULT_TARGET = "iqn.2026-11.dev.lunar:default";

    protected static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

    protected LunarProcess lunar;

    /** Whether {@link #startLunar()} waits for the default portal before the first test. */
    protected boolean needsIscsiPort() {
        return true;
    }

    @BeforeAll
    void startLunar() {
        lunar = LunarProcess.start();
        if (needsIscsiPort()) {
            lunar.awaitIscsiPort();
        }
    }

    @AfterAll
    void stopLunar() {
        if (lunar != null) {
            lunar.close();
        }
    }

    /** Runs a tool with {@link #TOOL_TIMEOUT}; see {@link Tools#run}. */
    protected ToolResult runTool(String... argv) {
        return Tools.run(TOOL_TIMEOUT, argv);
    }

    /** Runs a libiscsi tool (Debian libiscsi-bin), failing with a clear sentence when it is missing. */
    protected ToolResult runIscsiTool(String tool, String... arguments) {
        Tools.require(tool, "libiscsi-bin");
        List<String> argv = new ArrayList<>();
        argv.add(tool);
        argv.addAll(List.of(arguments));
        return runTool(argv.toArray(new String[0]));
    }

    /** Asserts the tool exited 0 and returns its output. */
    protected static String assertSucceeded(ToolResult result) {
        assertTrue(result.succeeded(), result::describe);
        return result.output();
    }
}
