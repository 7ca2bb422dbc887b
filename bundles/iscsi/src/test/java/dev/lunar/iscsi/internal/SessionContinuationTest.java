package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.SessionInfo;
import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.LoginResponsePdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.ScsiResponsePdu;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.transport.Pdu;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A session whose only connection fails is kept for DefaultTime2Retain and continues on a new
 * connection that logs in with its TSIH (RFC 7143 §6.3.6, §7.3 states Q4/Q5): same TSIH, same I_T
 * nexus, numbering from the Login Request's CmdSN. Out of time, or ended otherwise, it is gone.
 */
class SessionContinuationTest {

    private static final byte[] TUR = new byte[6];
    private static final int RETAIN_SECONDS = 20;

    private long liveBefore;
    private TestInitiator.Rig rig;
    private TestInitiator first;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        rig = new TestInitiator.Rig();
        first = rig.connect();
        Pdu r = first.login(withRetain(RETAIN_SECONDS));
        assertEquals(0, LoginResponsePdu.statusClass(r.header()), () -> TestInitiator.string(r));
        first.tsih = LoginResponsePdu.tsih(r.header());
        r.release();
        // The I_T nexus opens with the first command.
        assertEquals(0, testUnitReady(first));
    }

    @AfterEach
    void noLeaks() {
        first.conn.releaseSent();
        assertEquals(liveBefore, BufferLeakDetector.live(), () -> "leaked buffers: " + BufferLeakDetector.liveOrigins());
    }

    /** The test initiator's keys with another DefaultTime2Retain: keys may be sent only once. */
    private static String[] withRetain(int seconds) {
        List<String> keys = new ArrayList<>(Arrays.asList(TestInitiator.normalKeys()));
        keys.replaceAll(k -> k.startsWith("DefaultTime2Retain=") ? "DefaultTime2Retain=" + seconds : k);
        return keys.toArray(new String[0]);
    }

    /** What a connection joining an existing session may send: no session-wide keys (§6.3.6). */
    private static final String[] CONNECTION_KEYS = {"InitiatorName=" + TestInitiator.INITIATOR,
        "TargetName=" + TestInitiator.TARGET, "SessionType=Normal", "HeaderDigest=None", "DataDigest=None",
        "MaxRecvDataSegmentLength=1024"};

    /** Logs in on a new connection with {@code tsih} and the given ISID and next CmdSN; returns the status. */
    private TestInitiator continuing(int tsih, long isid, int cmdSn, int[] status) {
        TestInitiator next = rig.connect();
        next.tsih = tsih;
        next.isid = isid;
        next.cmdSn = cmdSn;
        Pdu r = next.login(CONNECTION_KEYS);
        status[0] = LoginResponsePdu.statusClass(r.header()) << 8 | LoginResponsePdu.statusDetail(r.header());
        if (status[0] == 0) {
            assertEquals(tsih, LoginResponsePdu.tsih(r.header()));
            assertEquals(cmdSn, Bhs.expSn(r.header()), "ExpCmdSN of the Login Response");
        }
        r.release();
        return next;
    }

    private int testUnitReady(TestInitiator ini) {
        ini.command(TUR, false, false, 0, null, true, false);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size(), () -> "one response expected: " + out);
        assertEquals(Opcode.SCSI_RESPONSE, out.get(0).opcode());
        int status = ScsiResponsePdu.status(out.get(0).header());
        TestInitiator.release(out);
        return status;
    }

    private void loseTheConnection() {
        first.conn.close(false);
        first.conn.runTasks();
    }

    @Test
    void aLostConnectionLeavesTheSessionAndItsNexusWaiting() {
        rig.device.hold = true;
        first.read(0, 4, 2048);
        first.conn.releaseSent();
        assertEquals(1, rig.device.running.size());
        loseTheConnection();
        List<SessionInfo> sessions = rig.engine.sessionInfos();
        assertEquals(1, sessions.size());
        assertEquals(first.tsih, sessions.get(0).tsih());
        assertEquals(0, sessions.get(0).connections());
        assertEquals(0, rig.device.nexusesClosed, "the I_T nexus (reservations, unit attentions) stays");
        rig.device.releaseHeld();
        first.conn.runTasks();
        first.conn.releaseSent();
    }

    @Test
    void aLoginWithTheTsihContinuesTheSessionOnItsNexus() {
        // Two commands numbered but lost with the connection: numbering restarts where the
        // initiator's stream is, not behind a gap that can never fill.
        int next = first.cmdSn + 2;
        loseTheConnection();
        int[] status = new int[1];
        TestInitiator second = continuing(first.tsih, first.isid, next, status);
        assertEquals(0, status[0], "login status");
        assertEquals(0, testUnitReady(second));
        assertEquals(1, rig.device.nexusesOpened, "the same I_T nexus");
        assertEquals(0, rig.device.nexusesClosed);
        assertEquals(1, rig.engine.sessionInfos().size());
        assertEquals(1, rig.engine.sessionInfos().get(0).connections());
        // Continued, it is an ordinary session again: no longer expires.
        rig.clock[0] += TimeUnit.SECONDS.toNanos(RETAIN_SECONDS + 1);
        rig.engine.sweepIdle();
        second.conn.runTasks();
        second.drain().forEach(Pdu::release);
        assertEquals(1, rig.engine.sessionInfos().size());
        second.conn.releaseSent();
    }

    @Test
    void afterDefaultTime2RetainTheSessionIsGone() {
        loseTheConnection();
        rig.clock[0] += TimeUnit.SECONDS.toNanos(RETAIN_SECONDS - 1);
        rig.engine.sweepIdle();
        assertEquals(1, rig.engine.sessionInfos().size(), "still within DefaultTime2Retain");
        rig.clock[0] += TimeUnit.SECONDS.toNanos(2);
        rig.engine.sweepIdle();
        assertTrue(rig.engine.sessionInfos().isEmpty());
        assertEquals(1, rig.device.nexusesClosed, "I_T nexus loss once the session ends");
        int[] status = new int[1];
        TestInitiator late = continuing(first.tsih, first.isid, first.cmdSn, status);
        assertEquals(0x020a, status[0], "Session does not exist");
        late.conn.releaseSent();
    }

    @Test
    void onlyTheSameInitiatorPortMayContinueAndOnlyAWaitingSession() {
        int[] status = new int[1];
        TestInitiator busy = continuing(first.tsih, first.isid, first.cmdSn, status);
        assertEquals(0x0206, status[0], "the session still has its one connection: too many connections");
        busy.conn.releaseSent();
        loseTheConnection();
        TestInitiator stranger = continuing(first.tsih, first.isid + 1, first.cmdSn, status);
        assertEquals(0x0208, status[0], "another ISID cannot join the session");
        stranger.conn.releaseSent();
        assertEquals(1, rig.engine.sessionInfos().size(), "the refused logins left it waiting");
    }

    @Test
    void aNewSessionOfTheSameNexusEndsTheWaitingOne() {
        loseTheConnection();
        TestInitiator again = rig.connect();
        again.isid = first.isid;
        again.loginNormal();
        assertEquals(1, rig.device.nexusesClosed, "reinstatement (§6.3.5) ends the waiting session's nexus");
        assertEquals(1, rig.engine.sessionInfos().size());
        assertEquals(again.tsih, rig.engine.sessionInfos().get(0).tsih());
        again.conn.releaseSent();
    }

    @Test
    void aKillEndsAWaitingSessionAtOnce() throws Exception {
        loseTheConnection();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            CompletionStage<Void> gone = SessionAdmin.killSession(rig.engine, first.tsih, "maintenance", timer, 5)
                    .orElseThrow();
            assertTrue(gone.toCompletableFuture().isDone());
            assertTrue(rig.engine.sessionInfos().isEmpty());
            assertEquals(1, rig.device.nexusesClosed);
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void withoutDefaultTime2RetainALostConnectionEndsTheSession() {
        TestInitiator other = rig.connect();
        other.isid = first.isid + 7;
        other.loginNormal();
        assertEquals(0, testUnitReady(other));
        other.conn.close(false);
        other.conn.runTasks();
        assertFalse(rig.engine.sessionInfos().stream().anyMatch(s -> s.tsih() == other.tsih));
        assertEquals(1, rig.device.nexusesClosed);
        other.conn.releaseSent();
    }
}
