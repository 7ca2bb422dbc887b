package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * qemu-img and qemu-io (Debian qemu-utils) with QEMU's iSCSI block driver, which Debian ships apart
 * in qemu-block-extra: without it every iscsi:// URL fails with "Unknown protocol", and the
 * assertion says which package to install instead of leaving a reader to guess.
 */
public final class QemuTools {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private QemuTools() {
    }

    /** Runs {@code tool} ("qemu-img" or "qemu-io") with {@code arguments}; does not judge the exit code. */
    public static ToolResult run(String tool, String... arguments) {
        Tools.require(tool, "qemu-utils");
        List<String> argv = new java.util.ArrayList<>();
        argv.add(tool);
        argv.addAll(List.of(arguments));
        ToolResult result = Tools.run(TIMEOUT, Map.of(), argv);
        if (!result.succeeded() && result.output().contains("Unknown protocol")) {
            throw new AssertionError(tool + " has no iSCSI driver: install the Debian package qemu-block-extra"
                    + " (./lunar test installs it when run as root)\n" + result.describe());
        }
        return result;
    }

    /** Runs the tool, asserts it exited 0 and returns its output. */
    public static String succeed(String tool, String... arguments) {
        ToolResult result = run(tool, arguments);
        assertTrue(result.succeeded(), result::describe);
        return result.output();
    }
}
