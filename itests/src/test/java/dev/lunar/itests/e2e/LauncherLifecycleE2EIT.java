package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The distribution as a process, independent of the iSCSI engine: the shell answers over ssh,
 * reports every Lunar bundle Active, fails a bad command with a non-zero exit, and a clean stop
 * leaves no process behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherLifecycleE2EIT extends LunarE2ETest {

    private static final List<String> BUNDLES = List.of("dev.lunar.api", "dev.lunar.spi", "dev.lunar.pdu",
            "dev.lunar.scsi", "dev.lunar.iscsi", "dev.lunar.transport-tcp", "dev.lunar.backend-ramdisk",
            "dev.lunar.backend-file", "dev.lunar.shell");

    @Override
    protected boolean needsIscsiPort() {
        return false;
    }

    @Test
    @Order(1)
    void statusOverSshShowsEveryBundleActive() {
        String output = assertSucceeded(lunar.shell("lunar:status --no-format"));

        for (String bundle : BUNDLES) {
            assertTrue(output.matches("(?s).*\\b" + bundle.replace(".", "\\.") + "\\s*\\t[^\\t]*\\tActive\\b.*"),
                    () -> bundle + " is not Active in:\n" + output);
        }
    }

    @Test
    @Order(2)
    void unknownCommandFailsWithNonZeroExit() {
        ToolResult result = lunar.shell("lunar:no-such-command");

        assertFalse(result.succeeded(), result::describe);
        assertTrue(result.output().contains("Command not found"), result::describe);
    }

    @Test
    @Order(3)
    void stopLeavesNoProcessBehind() {
        List<ProcessHandle> processes = lunar.processes();
        assertTrue(processes.size() >= 2, () -> "expected bin/karaf and its JVM, found " + processes);

        lunar.close();

        assertTrue(lunar.stoppedCleanly(), () -> "Karaf had to be killed after bin/stop\n" + lunar.diagnostics());
        for (ProcessHandle handle : processes) {
            assertFalse(handle.isAlive(), () -> "still running after stop: " + handle.info());
        }
    }
}
