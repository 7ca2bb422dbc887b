package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 "done when", transport removed without a successor (DESIGN.md §3.5): an initiator holds
 * a persistent reservation (SPC-4 §5.13: REGISTER, then RESERVE Exclusive Access) through the
 * default {@code tcp} portal, in a session that asked for DefaultTime2Retain 120 s; the test
 * uninstalls the transport-tcp bundle. Its connection is parked for {@code transportGraceSeconds}
 * (5 s here) and then closed cleanly (FIN); the session waits, its I_T nexus open. Some time later
 * (10 s here, 30 s in the {@code long} run) the same bundle is installed again; the initiator logs
 * in with the session's TSIH and continues it (RFC 7143 §6.3.6): same TSIH, no unit attention (the
 * nexus was never lost), READ RESERVATION reports the same key and type, its READ succeeds, and
 * another ISID's READ meets RESERVATION CONFLICT.
 *
 * <p>The initiator is raw PDUs on a socket (no Debian tool sends PERSISTENT RESERVE ad hoc, and
 * libiscsi and open-iscsi ask for DefaultTime2Retain 0 at ERL 0, so their sessions end with the
 * connection and they come back by reinstatement on the same nexus, where the reservation also
 * survives).
 */
class TransportReturnE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:treturn";
    private static final String INITIATOR = "iqn.2026-11.dev.lunar:treturn-initiator";
    private static final String TRANSPORT_BUNDLE = "dev.lunar.transport-tcp";
    private static final int GRACE_SECONDS = 5;
    /** What the target allows and the initiator asks for: longer than grace plus absence. */
    private static final int RETAIN_SECONDS = 120;
    private static final byte[] TUR = new byte[6];
    private static final long KEY = 0x4c554e4152000006L;
    /** SPC-4 Table 173: Exclusive Access. */
    private static final int TYPE_EXCLUSIVE_ACCESS = 3;
    private static final int GOOD = 0x00;
    private static final int RESERVATION_CONFLICT = 0x18;
    private static final Pattern PARKED = Pattern.compile(
            "Transport tcp gone: (\\d+) connection\\(s\\) parked, waiting up to (\\d+) s");

    @BeforeAll
    void addLunAndShortGrace() throws IOException {
        LunConfigs.addTarget(lunar, "treturn", IQN);
        LunConfigs.addLun(lunar, "treturn-0", IQN, 0, "ramdisk", Map.of("size", Integer.toString(4 << 20)));
        LunConfigs.awaitLun(lunar, lunar.iscsiUrl("/" + IQN + "/0"));
        lunar.setProperty("etc/dev.lunar.iscsi.cfg", "defaultTime2Retain", Integer.toString(RETAIN_SECONDS));
        lunar.setProperty("etc/dev.lunar.iscsi.cfg", "transportGraceSeconds", Integer.toString(GRACE_SECONDS));
        // fileinstall polls etc/ every second; Config Admin then calls the engine's @Modified.
        for (int i = 0; i < 120; i++) {
            ToolResult config = lunar.shell("config:property-list --pid dev.lunar.iscsi");
            if (config.succeeded() && config.output().matches("(?s).*transportGraceSeconds\\s*=\\s*"
                    + GRACE_SECONDS + "\\b.*") && config.output().matches("(?s).*defaultTime2Retain\\s*=\\s*"
                    + RETAIN_SECONDS + "\\b.*")) {
                sleep(1000);
                return;
            }
            sleep(500);
        }
        throw new AssertionError("transportGraceSeconds = " + GRACE_SECONDS + " not applied\n" + lunar.diagnostics());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Test
    void aTransportBackTenSecondsLaterFindsTheReservationKept() throws Exception {
        removeAndReturn(Duration.ofSeconds(10), 0x1234);
    }

    @Test
    @Tag("long")
    void aTransportBackThirtySecondsLaterFindsTheReservationKept() throws Exception {
        removeAndReturn(Duration.ofSeconds(30), 0x1235);
    }

    private void removeAndReturn(Duration away, int isid) throws Exception {
        int tsih;
        int nextCmdSn;
        try (RawInitiator holder = RawInitiator.loginRetained(lunar.iscsiPort(), INITIATOR, IQN, isid, RETAIN_SECONDS)) {
            holder.clearUnitAttentions();
            assertEquals(GOOD, holder.persistentReserveOut(0x00, 0, 0, KEY).status(), "REGISTER");
            assertEquals(GOOD, holder.persistentReserveOut(0x01, TYPE_EXCLUSIVE_ACCESS, KEY, 0).status(), "RESERVE");
            assertReservation(holder);
            tsih = holder.tsih();
            nextCmdSn = holder.cmdSn();

            int parkedBefore = parkedLines();
            String id = io().bundleId(TRANSPORT_BUNDLE);
            String location = bundleLocation(id);
            long removed = System.nanoTime();
            assertSucceeded(lunar.shell("bundle:uninstall " + id));
            awaitParked(parkedBefore + 1);
            assertEquals(GRACE_SECONDS, lastParkedGrace(), "the engine should use transportGraceSeconds from etc/");
            // The grace ends: the engine closes the parked socket. Cleanly: a FIN, not a reset.
            assertTrue(holder.awaitClosedByTarget(Duration.ofSeconds(GRACE_SECONDS + 20)),
                    "the target should close the parked connection with a FIN after the grace time\n"
                            + lunar.diagnostics());
            long closedAfter = (System.nanoTime() - removed) / 1_000_000;
            assertTrue(closedAfter >= GRACE_SECONDS * 1000L - 500, "closed after " + closedAfter
                    + " ms, before the grace time ended");
            assertTrue(lunar.shell("lunar:session-list --no-format").output().contains(INITIATOR),
                    "the session waits for its initiator after the connection closed");
            long rest = away.toMillis() - (System.nanoTime() - removed) / 1_000_000;
            if (rest > 0) {
                Thread.sleep(rest);
            }
            assertSucceeded(lunar.shell("bundle:install -s " + location));
            lunar.awaitIscsiPort();
        }

        try (RawInitiator back = RawInitiator.continueSession(lunar.iscsiPort(), INITIATOR, IQN, isid, tsih,
                nextCmdSn)) {
            assertEquals(tsih, back.tsih(), "the session continues under its TSIH");
            RawInitiator.Reply first = back.command(TUR, 0);
            assertEquals(GOOD, first.status(), "no unit attention: the I_T nexus was never lost (sense "
                    + first.sense() + ")");
            assertReservation(back);
            assertEquals(GOOD, back.read10().status(), "the reservation holder reads");
            try (RawInitiator other = RawInitiator.login(lunar.iscsiPort(), INITIATOR, IQN, isid + 0x100)) {
                other.clearUnitAttentions();
                assertEquals(RESERVATION_CONFLICT, other.read10().status(),
                        "another I_T nexus reads through an Exclusive Access reservation");
            }
            assertTrue(Pattern.compile("Session " + tsih + " \\(" + Pattern.quote(INITIATOR)
                    + ", ISID [0-9a-f]+\\) continued on").matcher(io().log()).find(),
                    "the log should say the session continued");
            // Leave the LUN as found for the other test: RELEASE, then unregister (key 0).
            assertEquals(GOOD, back.persistentReserveOut(0x02, TYPE_EXCLUSIVE_ACCESS, KEY, 0).status(), "RELEASE");
            assertEquals(GOOD, back.persistentReserveOut(0x00, 0, KEY, 0).status(), "unregister");
        }
    }

    /** Where the bundle was installed from ({@code mvn:...} in the distribution's system repository). */
    private String bundleLocation(String id) {
        String out = assertSucceeded(lunar.shell("bundle:list -l -t 0 --no-format"));
        for (String line : out.split("\n")) {
            String[] cols = line.trim().split("\\s*\\|\\s*|\\s+");
            if (cols.length > 1 && cols[0].trim().equals(id)) {
                return cols[cols.length - 1].trim();
            }
        }
        throw new AssertionError("no location for bundle " + id + " in:\n" + out);
    }

    private static void assertReservation(RawInitiator initiator) throws IOException {
        RawInitiator.Reply r = initiator.readReservation();
        assertEquals(GOOD, r.status(), "READ RESERVATION");
        ByteBuffer data = ByteBuffer.wrap(r.data());
        assertEquals(16, data.getInt(4), "ADDITIONAL LENGTH: one reservation");
        assertEquals(KEY, data.getLong(8), "reservation key");
        assertEquals(TYPE_EXCLUSIVE_ACCESS, data.get(21) & 0x0f, "reservation type");
    }

    private int parkedLines() {
        Matcher m = PARKED.matcher(io().log());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private int lastParkedGrace() {
        Matcher m = PARKED.matcher(io().log());
        int grace = -1;
        while (m.find()) {
            grace = Integer.parseInt(m.group(2));
        }
        return grace;
    }

    private void awaitParked(int expected) throws InterruptedException {
        for (int i = 0; i < 200 && parkedLines() < expected; i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, parkedLines(), "the engine should park the connection when transport-tcp stops\n"
                + lunar.diagnostics());
    }

    private LiveIo io() {
        return new LiveIo(lunar, IQN);
    }
}
