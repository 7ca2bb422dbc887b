package dev.lunar.itests.e2e.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.IscsiTestCu.Status;
import dev.lunar.itests.e2e.conformance.IscsiTestCu.TestOutcome;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The verdicts read from iscsi-test-cu's CUnit output (shapes seen from libiscsi 1.19 on Debian 12).
 * Named *IT only because itests runs no Surefire; it starts nothing.
 */
class IscsiTestCuParseIT {

    private static final String SUMMARY = "\nRun Summary:    Type  Total    Ran Passed Failed Inactive\n"
            + "              suites      1      1    n/a      0        0\n";

    @Test
    void passSkipAndFailAreTold() {
        String out = "Suite: CompareAndWrite\n"
                + "  Test: Simple ...    [FAILED] COMPAREANDWRITE successful but should have failed\n"
                + "FAILED\n"
                + "    1. test_compareandwrite_simple.c:71  - CU_ASSERT_EQUAL(_r,0)\n"
                + "  Test: DpoFua ...passed\n"
                + "  Test: InvalidDataOutSize ...    [SKIPPED] LBPPB < 2. Skipping test\n"
                + "passed\n" + SUMMARY;

        List<TestOutcome> outcomes = IscsiTestCu.parse("CompareAndWrite", out,
                List.of("Simple", "DpoFua", "InvalidDataOutSize"), "cut");

        assertEquals(List.of(Status.FAIL, Status.PASS, Status.SKIP), outcomes.stream().map(TestOutcome::status).toList());
        assertEquals("[SKIPPED] LBPPB < 2. Skipping test", outcomes.get(2).reason());
        assertTrue(outcomes.get(0).text().contains("test_compareandwrite_simple.c:71"));
    }

    @Test
    void teardownOutputAfterTheVerdictDoesNotHideIt() {
        String out = "  Test: LUNReset ...    [FAILED] RESERVE6 command: failed with sense. (0x2902)\n"
                + "passed    [FAILED] PRIN command: failed with sense. (0x2903)\n" + SUMMARY;

        List<TestOutcome> outcomes = IscsiTestCu.parse("Reserve6", out, List.of("LUNReset"), "cut");

        assertEquals(Status.PASS, outcomes.get(0).status());
    }

    @Test
    void verdictAtTheEndOfAMessageWithoutNewlineCounts() {
        String out = "  Test: UnmapUntilEnd ...    WSNZ == 1passed\n"
                + "  Test: Check ...    not what we wanted FAILED\n" + SUMMARY;

        List<TestOutcome> outcomes = IscsiTestCu.parse("WriteSame10", out, List.of("UnmapUntilEnd", "Check"), "cut");

        assertEquals(List.of(Status.PASS, Status.FAIL), outcomes.stream().map(TestOutcome::status).toList());
    }

    @Test
    void aTestCutShortOrNeverStartedFails() {
        String out = "  Test: Simple ...passed\n  Test: Reset ...    waiting for the target\n";

        List<TestOutcome> outcomes = IscsiTestCu.parse("MultipathIO", out, List.of("Simple", "Reset", "Later"),
                "killed after 180 s");

        assertEquals(List.of(Status.PASS, Status.FAIL, Status.FAIL),
                outcomes.stream().map(TestOutcome::status).toList());
        assertTrue(outcomes.get(1).text().contains("killed after 180 s"));
        assertTrue(outcomes.get(2).text().contains("did not run"));
    }

    @Test
    void expectedSkipsAreLookedUpPerBackendThenForAll() {
        ExpectedSkips skips = ExpectedSkips.parse("# comment\n"
                + "*  PreventAllow.Simple  not removable\n"
                + "ramdisk  WriteSame10.UnmapUnaligned  LBPPB < 2\n");

        assertEquals(Optional.of("not removable"), skips.reason("file", "PreventAllow.Simple"));
        assertEquals(Optional.of("LBPPB < 2"), skips.reason("ramdisk", "WriteSame10.UnmapUnaligned"));
        assertEquals(Optional.empty(), skips.reason("file", "WriteSame10.UnmapUnaligned"));
    }

    @Test
    void theShippedExpectedSkipsFileParses() {
        assertTrue(ExpectedSkips.load().reason("ramdisk", "Sanitize.CryptoErase").isPresent());
        // PreventAllow runs against a removable LUN now: its skips must not come back silently.
        assertEquals(Optional.empty(), ExpectedSkips.load().reason("ramdisk", "PreventAllow.Simple"));
    }

    @Test
    void theShippedKnownDeviationsFileParses() {
        ExpectedSkips deviations = ExpectedSkips.load(ExpectedSkips.DEVIATIONS);
        // No known deviation today (issue 4: 0 failures); Sanitize.Reset, the last one, passes.
        assertEquals(Optional.empty(), deviations.reason("file", "Sanitize.Reset"));
        assertEquals(Optional.empty(), deviations.reason("ramdisk", "WriteSame10.UnmapUntilEnd"));
    }
}
