package dev.lunar.itests.e2e.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import dev.lunar.itests.e2e.LunarE2ETest;
import dev.lunar.itests.e2e.conformance.IscsiTestCu.Status;
import dev.lunar.itests.e2e.conformance.IscsiTestCu.SuiteRun;
import dev.lunar.itests.e2e.conformance.IscsiTestCu.TestOutcome;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libiscsi's {@code iscsi-test-cu}, family ALL, one suite per process, against a RAM-disk LUN and a
 * file LUN (issue 4 "done when"; the iSCSI-layer suites are issue 3's). One dynamic test per suite
 * and backend, so the Failsafe report shows each suite's verdict.
 *
 * <p>A suite passes when none of its tests fails and every skip is listed, with its reason, in
 * {@code conformance/expected-skips.txt}. libiscsi reports a skip as a pass; an unlisted skip is
 * a failure here, so a feature that stops working cannot hide as "skipped". A listed skip that
 * now passes is logged and noted in the summary (remove it from the file).
 *
 * <p>Suites that need a special LUN get one: ReadOnly runs against a {@code readOnly=true} LUN of
 * the same backend; the suites whose tests need more than one logical block per physical block
 * ("LBPPB < 2. Skipping test") run against a LUN with 4096-byte physical blocks (a RAM disk with
 * {@code physicalBlockSize=4096}; a file LUN reports its file system's block size, 4096 on ext4,
 * so its main LUN serves). Each run writes {@code target/conformance-<backend>.md} (per-suite counts and
 * times, for the README) and keeps each suite's output in {@code target/conformance-logs/}.
 */
class IscsiTestCuE2EIT extends LunarE2ETest {

    private static final Logger LOG = LoggerFactory.getLogger(IscsiTestCuE2EIT.class);

    /** A hung suite must not eat the CI budget; the slowest suite takes seconds when healthy. */
    private static final Duration SUITE_TIMEOUT = Duration.ofSeconds(180);
    private static final String LUN_SIZE = "256M";
    private static final long LUN_BYTES = 256L << 20;
    private static final String SANITIZE_LUN_SIZE = "64M";
    /** 64 MiB at 8 MiB/s: eight seconds per overwrite, three more than Sanitize.Reset needs. */
    private static final String SANITIZE_RATE = "8M";
    private static final String IQN_PREFIX = "iqn.2026-11.dev.lunar:cu-";
    /**
     * LUNs some suites need besides a backend's plain writable LUN. Whole suites move, so every test
     * of them still runs once per backend.
     */
    private enum Role {
        /** A write-protected LUN: the ReadOnly suite skips on a writable one (WP bit of MODE SENSE). */
        READ_ONLY("-ro", "read-only LUN"),
        /**
         * LOGICAL BLOCKS PER PHYSICAL BLOCK >= 2 (READ CAPACITY(16)): UNMAP of part of a physical
         * block, WRITE SAME / COMPARE AND WRITE with a Data-Out of the wrong size skip without it.
         */
        PHYSICAL_4K("-4k", "4096-byte physical blocks"),
        /**
         * One logical block per physical block: GetLBAStatus.UnmapSingle asks about LBA i + 1 and
         * expects the answer to start at i + LBPPB, which only agree when LBPPB is 1 (SBC-4 has the
         * first descriptor start at the LBA asked for, which is what Lunar answers).
         */
        ONE_BLOCK_PER_PHYSICAL("-lbppb1", "one logical block per physical block"),
        /** Removable media (INQUIRY RMB=1): PREVENT ALLOW and START STOP UNIT LOEJ skip without it. */
        REMOVABLE("-rm", "removable LUN"),
        /**
         * A SANITIZE OVERWRITE that lasts several seconds: Sanitize.Reset checks about five seconds
         * after starting one that it is still running across aborts, resets and a re-login. A small
         * LUN with a paced overwrite ({@code sanitizeRate}, as a slow medium would be) keeps the
         * other Sanitize tests, which overwrite the whole LUN too, short.
         */
        SLOW_SANITIZE("-san", "64 MiB LUN whose SANITIZE OVERWRITE is paced to 8 MiB/s");

        private final String suffix;
        /** What the LUN is, for failure messages and the summary. */
        private final String description;

        Role(String suffix, String description) {
            this.suffix = suffix;
            this.description = description;
        }
    }

    private static final Map<String, Role> SUITE_ROLES = Map.of(
            "ReadOnly", Role.READ_ONLY,
            "WriteSame10", Role.PHYSICAL_4K,
            "WriteSame16", Role.PHYSICAL_4K,
            "CompareAndWrite", Role.PHYSICAL_4K,
            "GetLBAStatus", Role.ONE_BLOCK_PER_PHYSICAL,
            "PreventAllow", Role.REMOVABLE,
            "StartStopUnit", Role.REMOVABLE,
            "Sanitize", Role.SLOW_SANITIZE);

    /**
     * Suites run with the URL once. Given twice, this libiscsi reuses the suite-long multipath
     * session as PreventAllow.2ITNexuses' "second connection" instead of logging one in; that
     * session still holds the BUS DEVICE RESET unit attention (29/03) from the previous test's
     * LOGICAL UNIT RESET, which SAM-5 establishes for every I_T nexus, so the test's eject sees the
     * UA instead of MEDIUM REMOVAL PREVENTED. With one URL the test logs in a fresh nexus, as it
     * means to. Sanitize likewise: Sanitize.Reservations takes a RESERVE(6) on its "second
     * connection" and ends by destroying that context; given the URL twice this is the suite-long
     * multipath session, which stays logged in and so rightly keeps the reservation (only release,
     * a reset or I_T nexus loss ends it), and Sanitize.Reset's SANITIZE then gets RESERVATION
     * CONFLICT. With one URL the second connection is the test's own and its logout ends the
     * reservation.
     */
    private static final Set<String> SINGLE_PATH_SUITES = Set.of("PreventAllow", "Sanitize");

    private final ExpectedSkips expectedSkips = ExpectedSkips.load();
    private final ExpectedSkips knownDeviations = ExpectedSkips.load(ExpectedSkips.DEVIATIONS);
    private final Map<String, List<SuiteRun>> runs = new LinkedHashMap<>();
    private final Map<String, List<String>> notes = new LinkedHashMap<>();
    private final Map<String, Instant> started = new LinkedHashMap<>();
    private Map<String, List<String>> suites;

    /**
     * A backend under test: its writable LUN and the options of the LUNs the roles need (a role
     * missing from {@code special}: the writable LUN serves it already).
     */
    private record Backend(String name, Map<String, String> writable, Map<Role, Map<String, String>> special) {

        String iqn() {
            return IQN_PREFIX + name;
        }

        String iqn(Role role) {
            return role == null || !special.containsKey(role) ? iqn() : iqn() + role.suffix;
        }
    }

    private List<Backend> backends;

    @BeforeAll
    void configureLuns() throws IOException {
        suites = IscsiTestCu.listFamilyAll();
        // -Dlunar.cu.suites=Sanitize,Inquiry runs only those suites (while working on one).
        String only = System.getProperty("lunar.cu.suites", "").trim();
        if (!only.isEmpty()) {
            Set<String> wanted = Set.of(only.split("\\s*,\\s*"));
            suites.keySet().retainAll(wanted);
        }
        Path images = Files.createDirectories(lunar.home().resolve("luns"));
        Path readOnlyImage = images.resolve("cu-file-ro.img");
        // A read-only file LUN never creates its file: make it as an admin would, sparse.
        try (RandomAccessFile file = new RandomAccessFile(readOnlyImage.toFile(), "rw")) {
            file.setLength(LUN_BYTES);
        }
        Path fileImage = images.resolve("cu-file.img");
        backends = List.of(
                new Backend("ramdisk", Map.of("size", LUN_SIZE), Map.of(
                        Role.READ_ONLY, Map.of("size", LUN_SIZE, "readOnly", "true"),
                        Role.PHYSICAL_4K, Map.of("size", LUN_SIZE, "physicalBlockSize", "4096"),
                        Role.REMOVABLE, Map.of("size", LUN_SIZE, "removable", "true"),
                        Role.SLOW_SANITIZE, Map.of("size", SANITIZE_LUN_SIZE, "sanitizeRate", SANITIZE_RATE))),
                // A file LUN reports its file system's block size as the physical block (4096 on
                // ext4), so its writable LUN serves PHYSICAL_4K, and 4096-byte logical blocks give
                // one logical block per physical block.
                new Backend("file", Map.of("path", fileImage.toString(), "size", LUN_SIZE, "create", "true"), Map.of(
                        Role.READ_ONLY, Map.of("path", readOnlyImage.toString(), "readOnly", "true"),
                        Role.ONE_BLOCK_PER_PHYSICAL, Map.of("path", images.resolve("cu-file-4096.img").toString(),
                                "size", LUN_SIZE, "create", "true", "blockSize", "4096"),
                        Role.REMOVABLE, Map.of("path", images.resolve("cu-file-rm.img").toString(), "size", LUN_SIZE,
                                "create", "true", "removable", "true"),
                        Role.SLOW_SANITIZE, Map.of("path", images.resolve("cu-file-san.img").toString(),
                                "size", SANITIZE_LUN_SIZE, "create", "true", "sanitizeRate", SANITIZE_RATE))));
        // Sanitize.Reset polls TEST UNIT READY with 60 s sleeps in between, answering no NOP-In
        // meanwhile (libiscsi's synchronous API only reads while a command waits). The default
        // ping timeout would close that connection, the re-login makes a new I_T nexus whose
        // POWER ON unit attention fails the next poll, and the loop never ends.
        lunar.setProperty("etc/dev.lunar.iscsi.cfg", "nopTimeoutSeconds", "150");
        for (Backend backend : backends) {
            LunConfigs.addTarget(lunar, "cu-" + backend.name(), backend.iqn());
            LunConfigs.addLun(lunar, "cu-" + backend.name() + "-0", backend.iqn(), 0, backend.name(), backend.writable());
            backend.special().forEach((role, options) -> {
                String name = "cu-" + backend.name() + role.suffix;
                LunConfigs.addTarget(lunar, name, backend.iqn(role));
                LunConfigs.addLun(lunar, name + "-0", backend.iqn(role), 0, backend.name(), options);
            });
        }
        for (Backend backend : backends) {
            LunConfigs.awaitLun(lunar, url(backend.iqn()));
            for (Role role : backend.special().keySet()) {
                LunConfigs.awaitLun(lunar, url(backend.iqn(role)));
            }
        }
    }

    @TestFactory
    Stream<DynamicNode> familyAll() {
        return backends.stream().map(backend -> DynamicContainer.dynamicContainer(backend.name(),
                suites.entrySet().stream().map(suite -> DynamicTest.dynamicTest(
                        backend.name() + " ALL." + suite.getKey(),
                        () -> runSuite(backend, suite.getKey(), suite.getValue())))));
    }

    private void runSuite(Backend backend, String suite, List<String> tests) {
        started.putIfAbsent(backend.name(), Instant.now());
        String url = url(backend.iqn(SUITE_ROLES.get(suite)));
        Path log = reportDir().resolve("conformance-logs").resolve(backend.name()).resolve(suite + ".log");
        SuiteRun run = IscsiTestCu.run(suite, tests, url, !SINGLE_PATH_SUITES.contains(suite), SUITE_TIMEOUT, log);
        runs.computeIfAbsent(backend.name(), b -> new ArrayList<>()).add(run);
        writeSummary(backend.name());

        List<String> problems = new ArrayList<>();
        for (TestOutcome outcome : run.outcomes()) {
            var allowed = expectedSkips.reason(backend.name(), outcome.id());
            var deviation = knownDeviations.reason(backend.name(), outcome.id());
            if (outcome.status() == Status.FAIL && deviation.isPresent()) {
                String note = outcome.id() + " fails on " + backend.name() + " as listed in "
                        + ExpectedSkips.DEVIATIONS + ": " + deviation.get();
                LOG.info(note);
                notes.computeIfAbsent(backend.name(), b -> new ArrayList<>()).add(note);
            } else if (outcome.status() == Status.FAIL) {
                problems.add("FAILED " + outcome.id() + ":\n" + indent(clip(outcome.text())));
            } else if (outcome.status() == Status.PASS && deviation.isPresent()) {
                String note = outcome.id() + " passes now on " + backend.name() + " but is listed as a known deviation ("
                        + deviation.get() + "): remove it from " + ExpectedSkips.DEVIATIONS;
                LOG.info(note);
                notes.computeIfAbsent(backend.name(), b -> new ArrayList<>()).add(note);
            } else if (outcome.status() == Status.SKIP && allowed.isEmpty()) {
                problems.add("SKIPPED " + outcome.id() + " but " + ExpectedSkips.RESOURCE + " does not list it for "
                        + backend.name() + ": " + outcome.reason());
            } else if (outcome.status() == Status.PASS && allowed.isPresent()) {
                String note = outcome.id() + " passes now on " + backend.name() + " but is listed as an expected skip ("
                        + allowed.get() + "): remove it from " + ExpectedSkips.RESOURCE;
                LOG.info(note);
                notes.computeIfAbsent(backend.name(), b -> new ArrayList<>()).add(note);
            }
        }
        if (!problems.isEmpty()) {
            fail("iscsi-test-cu ALL." + suite + " against " + url + lunNote(suite)
                    + (run.timedOut() ? " timed out after " + SUITE_TIMEOUT.toSeconds() + " s" : "")
                    + ": " + problems.size() + " problem(s); full output in " + log.toAbsolutePath() + "\n"
                    + String.join("\n", problems));
        }
    }

    @AfterAll
    void reportDuration() {
        started.forEach((backend, start) -> LOG.info("iscsi-test-cu family ALL against {}: {} s of suites",
                backend, runs.getOrDefault(backend, List.of()).stream().mapToLong(r -> r.elapsed().toMillis()).sum()
                        / 1000));
    }

    private String url(String iqn) {
        return lunar.iscsiUrl("/" + iqn + "/0");
    }

    /** itests/target, where Failsafe's reports are. */
    private static Path reportDir() {
        return Path.of(System.getProperty("lunar.work.dir", "target/lunar-work")).toAbsolutePath().getParent();
    }

    /** Rewritten after every suite, so a run cut short still leaves what it measured. */
    private void writeSummary(String backend) {
        List<SuiteRun> done = runs.getOrDefault(backend, List.of());
        StringBuilder md = new StringBuilder();
        md.append("# iscsi-test-cu family ALL against a ").append(backend).append(" LUN\n\n");
        md.append("One suite per process: `iscsi-test-cu -d -S -i ").append(IscsiTestCu.INITIATOR).append(" -I ")
                .append(IscsiTestCu.INITIATOR_2).append(" -t ALL.<suite> URL URL`, ").append(LUN_SIZE)
                .append(" LUNs; the suites marked in the table run against a LUN with what they need. Skips are counted")
                .append(" apart from passes.\n\n");
        md.append("| Suite | Pass | Fail | Skip | Seconds | Not passed |\n|---|---:|---:|---:|---:|---|\n");
        long pass = 0;
        long failed = 0;
        long skip = 0;
        long millis = 0;
        for (SuiteRun run : done) {
            List<String> notPassed = new ArrayList<>();
            for (TestOutcome o : run.outcomes()) {
                if (o.status() != Status.PASS) {
                    notPassed.add(o.test() + " (" + o.status().name().toLowerCase() + ")");
                }
            }
            md.append("| ").append(run.suite()).append(lunNote(run.suite()))
                    .append(" | ").append(run.count(Status.PASS)).append(" | ").append(run.count(Status.FAIL))
                    .append(" | ").append(run.count(Status.SKIP)).append(" | ")
                    .append(String.format("%.1f", run.elapsed().toMillis() / 1000.0))
                    .append(run.timedOut() ? " (timed out)" : "").append(" | ").append(String.join(", ", notPassed))
                    .append(" |\n");
            pass += run.count(Status.PASS);
            failed += run.count(Status.FAIL);
            skip += run.count(Status.SKIP);
            millis += run.elapsed().toMillis();
        }
        md.append("| **Total (").append(done.size()).append(" of ").append(suites.size()).append(" suites)** | **")
                .append(pass).append("** | **").append(failed).append("** | **").append(skip).append("** | **")
                .append(String.format("%.1f", millis / 1000.0)).append("** | |\n\n");
        md.append("## Skips and why\n\n");
        for (SuiteRun run : done) {
            for (TestOutcome o : run.outcomes()) {
                if (o.status() == Status.SKIP) {
                    md.append("- ").append(o.id()).append(": ")
                            .append(expectedSkips.reason(backend, o.id()).orElse("NOT EXPECTED: " + o.reason()))
                            .append('\n');
                }
            }
        }
        List<String> backendNotes = notes.getOrDefault(backend, List.of());
        if (!backendNotes.isEmpty()) {
            md.append("\n## Listed skips that pass now\n\n");
            backendNotes.forEach(n -> md.append("- ").append(n).append('\n'));
        }
        try {
            Files.writeString(reportDir().resolve("conformance-" + backend + ".md"), md, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the conformance summary", e);
        }
    }

    private static String lunNote(String suite) {
        Role role = SUITE_ROLES.get(suite);
        return role == null ? "" : " (" + role.description + ")";
    }

    private static String clip(String text) {
        String trimmed = text.strip();
        return trimmed.length() <= 3000 ? trimmed : trimmed.substring(0, 3000) + "\n...";
    }

    private static String indent(String text) {
        return "    " + text.replace("\n", "\n    ");
    }
}
