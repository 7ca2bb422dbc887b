package dev.lunar.itests.e2e.conformance;

import dev.lunar.itests.e2e.Tools;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * libiscsi's conformance tool, {@code iscsi-test-cu}, driven one suite per process: a suite that
 * hangs or crashes the tool then costs only its own results, and each process logs in afresh.
 *
 * <p>The tool prints CUnit's verbose report on stdout. A test reports a skip as a pass (it prints
 * {@code [SKIPPED] why} and returns), so the verdict is read per test from the text between its
 * {@code Test: NAME ...} line and the next one.
 */
final class IscsiTestCu {

    /** Initiator names for the tests that need two I_T nexuses (reservations, PreventAllow, Sanitize). */
    static final String INITIATOR = "iqn.2026-11.dev.lunar:conformance-1";
    static final String INITIATOR_2 = "iqn.2026-11.dev.lunar:conformance-2";

    private static final Pattern LISTED = Pattern.compile("ALL\\.([^.\\s]+)(?:\\.(\\S+))?");
    private static final Pattern TEST_START = Pattern.compile("^\\s*Test: (\\S+) \\.\\.\\.(.*)$");
    private static final Pattern RUN_SUMMARY = Pattern.compile("^Run Summary:");
    // CUnit prints its verdict, "passed" or "FAILED", right after the test's own output: at the
    // start of a line, or at the end of a message that lacked a newline. Output of the suite's
    // teardown may follow on the same line ("passed    [FAILED] PRIN command: ..."). libiscsi's
    // own messages start with "[FAILED]" / "[SKIPPED]" and are not verdicts.
    private static final Pattern FAILED_VERDICT = Pattern.compile("^FAILED\\b|(?:\\.\\.\\.|\\s)FAILED\\s*$");
    private static final Pattern PASSED_VERDICT = Pattern.compile("^passed\\b|passed\\s*$");
    private static final String SKIP_MARK = "[SKIPPED]";

    private IscsiTestCu() {
    }

    /** Outcome of one test as the tool reported it. */
    enum Status { PASS, FAIL, SKIP }

    /** One test's outcome and the text the tool printed for it (its messages and assertion list). */
    record TestOutcome(String suite, String test, Status status, String text) {

        String id() {
            return suite + "." + test;
        }

        /** The first libiscsi message line ([SKIPPED] / [FAILED] reason), or the first line. */
        String reason() {
            for (String line : text.split("\n")) {
                String trimmed = line.trim();
                if (trimmed.startsWith("[SKIPPED]") || trimmed.startsWith("[FAILED]")) {
                    return trimmed;
                }
            }
            String trimmed = text.trim();
            int newline = trimmed.indexOf('\n');
            return newline < 0 ? trimmed : trimmed.substring(0, newline);
        }
    }

    /** A finished (or timed-out) suite run. */
    record SuiteRun(String suite, List<TestOutcome> outcomes, boolean timedOut, int exitCode, Duration elapsed,
            Path log) {

        long count(Status status) {
            return outcomes.stream().filter(o -> o.status() == status).count();
        }
    }

    /**
     * Suites of family ALL in the tool's order, each with its tests, from {@code iscsi-test-cu -l}.
     * Never hard-coded: a newer libiscsi brings its new suites into the run by itself.
     */
    static Map<String, List<String>> listFamilyAll() {
        Tools.require("iscsi-test-cu", "libiscsi-bin");
        var listing = Tools.run(Duration.ofSeconds(30), "iscsi-test-cu", "-l");
        if (!listing.succeeded()) {
            throw new AssertionError("iscsi-test-cu -l failed: " + listing.describe());
        }
        Map<String, List<String>> suites = new LinkedHashMap<>();
        for (String line : listing.output().split("\n")) {
            Matcher m = LISTED.matcher(line.trim());
            if (!m.matches()) {
                continue;
            }
            List<String> tests = suites.computeIfAbsent(m.group(1), s -> new ArrayList<>());
            if (m.group(2) != null) {
                tests.add(m.group(2));
            }
        }
        if (suites.isEmpty()) {
            throw new AssertionError("iscsi-test-cu -l listed no suite of family ALL:\n" + listing.output());
        }
        return suites;
    }

    /**
     * Runs {@code ALL.<suite>} against {@code url} with data-loss and SANITIZE tests allowed, keeps
     * the tool's stdout in {@code log}, and reports every test of {@code expectedTests}: a test the
     * output does not finish (a crash, the timeout) is a failure that says so. With
     * {@code multipath} the URL is given twice, so the suite keeps a second session open throughout
     * (MultipathIO needs it; some tests then use it as their "second connection" instead of
     * logging in a new one).
     */
    static SuiteRun run(String suite, List<String> expectedTests, String url, boolean multipath, Duration timeout,
            Path log) {
        List<String> argv = multipath
                ? List.of("iscsi-test-cu", "-d", "-S", "-i", INITIATOR, "-I", INITIATOR_2, "-t", "ALL." + suite, url, url)
                : List.of("iscsi-test-cu", "-d", "-S", "-i", INITIATOR, "-I", INITIATOR_2, "-t", "ALL." + suite, url);
        long started = System.nanoTime();
        boolean timedOut;
        int exitCode;
        String stdout;
        try {
            Files.createDirectories(log.getParent());
            Path stderr = log.resolveSibling(log.getFileName() + ".stderr");
            // stdout and stderr apart: stdout is block-buffered into a file while stderr is not,
            // so one file would interleave them at random places inside a test's text.
            Process process = new ProcessBuilder(argv)
                    .redirectOutput(log.toFile())
                    .redirectError(stderr.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            timedOut = !process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (timedOut) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            exitCode = timedOut ? -1 : process.exitValue();
            stdout = Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + argv, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + argv, e);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        List<TestOutcome> outcomes = parse(suite, stdout, expectedTests,
                timedOut ? "the suite was killed after " + timeout.toSeconds() + " s before this test finished"
                        : "the tool exited (" + exitCode + ") before this test finished");
        return new SuiteRun(suite, outcomes, timedOut, exitCode, elapsed, log);
    }

    /**
     * Per-test outcomes from the tool's stdout, in {@code expectedTests} order followed by any
     * test the listing did not name. A test without a verdict fails with {@code unfinished}.
     */
    static List<TestOutcome> parse(String suite, String stdout, List<String> expectedTests, String unfinished) {
        Map<String, TestOutcome> found = new LinkedHashMap<>();
        String current = null;
        StringBuilder text = new StringBuilder();
        for (String line : stdout.split("\n", -1)) {
            Matcher start = TEST_START.matcher(line);
            if (start.matches() || RUN_SUMMARY.matcher(line).find()) {
                if (current != null) {
                    found.put(current, judge(suite, current, text.toString(), unfinished));
                }
                current = start.matches() ? start.group(1) : null;
                text.setLength(0);
                if (current != null) {
                    text.append(start.group(2)).append('\n');
                }
                continue;
            }
            if (current != null) {
                text.append(line).append('\n');
            }
        }
        if (current != null) {
            found.put(current, judge(suite, current, text.toString(), unfinished));
        }
        List<TestOutcome> outcomes = new ArrayList<>();
        for (String test : expectedTests) {
            TestOutcome outcome = found.remove(test);
            outcomes.add(outcome != null ? outcome
                    : new TestOutcome(suite, test, Status.FAIL, "did not run: " + unfinished));
        }
        outcomes.addAll(found.values());
        return outcomes;
    }

    private static TestOutcome judge(String suite, String test, String text, String unfinished) {
        boolean failed = false;
        boolean passed = false;
        for (String line : text.split("\n")) {
            failed |= FAILED_VERDICT.matcher(line).find();
            passed |= PASSED_VERDICT.matcher(line).find();
        }
        if (failed) {
            return new TestOutcome(suite, test, Status.FAIL, text);
        }
        if (!passed) {
            return new TestOutcome(suite, test, Status.FAIL, text + "\n(no verdict: " + unfinished + ")");
        }
        return new TestOutcome(suite, test, text.contains(SKIP_MARK) ? Status.SKIP : Status.PASS, text);
    }
}
