package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.IoStats;
import dev.lunar.api.SessionStats;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.ScsiResponsePdu;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.transport.Pdu;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Session counters, connections per transport, and an admin's kill (RFC 7143 §11.9.1). */
class SessionAdminTest {

    /** A timer that keeps what it is asked to schedule, so the test decides when the deadline comes. */
    private static final class ManualTimer extends ScheduledThreadPoolExecutor {
        final List<Runnable> due = new ArrayList<>();
        final List<Long> delaysMillis = new ArrayList<>();

        ManualTimer() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            due.add(command);
            delaysMillis.add(unit.toMillis(delay));
            return null;
        }
    }

    private long liveBefore;
    private TestInitiator.Rig rig;
    private TestInitiator ini;
    private final ManualTimer timer = new ManualTimer();

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        rig = new TestInitiator.Rig();
        ini = rig.connect().loginNormal();
    }

    @AfterEach
    void tearDown() {
        timer.shutdownNow();
        ini.conn.releaseSent();
        assertEquals(liveBefore, BufferLeakDetector.live(), () -> "leaked buffers: " + BufferLeakDetector.liveOrigins());
    }

    private List<Pdu> exchange() {
        ini.conn.runTasks();
        return ini.drain();
    }

    @Test
    void commandsAreCountedPerSessionByKindWithTheirBytesAndErrors() {
        byte[] data = TestInitiator.pattern(1024, 3);
        ini.command(TestInitiator.write10(0, 2), false, true, 1024, data, true, false);
        TestInitiator.release(exchange());
        ini.read(0, 2, 1024);
        TestInitiator.release(exchange());
        ini.command(new byte[6], false, false, 0, null, true, false);           // TEST UNIT READY
        TestInitiator.release(exchange());
        ini.command(new byte[] {(byte) 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false, false, 0, null, true, false);
        List<Pdu> bad = exchange();
        assertEquals(dev.lunar.spi.scsi.ScsiStatus.CHECK_CONDITION.code(), ScsiResponsePdu.status(bad.get(bad.size() - 1).header()));
        TestInitiator.release(bad);

        List<SessionStats> all = SessionAdmin.sessionStats(rig.engine);
        assertEquals(1, all.size());
        SessionStats s = all.get(0);
        assertEquals(ini.tsih, s.tsih());
        assertEquals(TestInitiator.INITIATOR, s.initiator());
        assertEquals(TestInitiator.TARGET, s.target());
        IoStats io = s.io();
        assertEquals(1, io.writes());
        assertEquals(1, io.reads());
        assertEquals(2, io.others());
        assertEquals(1024, io.bytesWritten());
        assertEquals(1024, io.bytesRead());
        assertEquals(1, io.errors(), "the unsupported opcode's CHECK CONDITION");
        assertEquals(1, io.readLatency().count());
        assertEquals(1, io.writeLatency().count());
    }

    @Test
    void connectionsAreCountedUnderTheTransportTheyRunOn() {
        rig.connect(); // a second connection, still in login
        assertEquals(Map.of("fake", 2), SessionAdmin.connectionsByTransport(rig.engine));
    }

    @Test
    void killAsksForLogoutThenClosesTheConnectionWhenTheInitiatorIgnoresIt() throws Exception {
        CompletionStage<Void> gone = SessionAdmin.killSession(rig.engine, ini.tsih, "maintenance", timer, 3).orElseThrow();
        List<Pdu> out = exchange();
        assertEquals(1, out.size());
        Pdu async = out.get(0);
        assertEquals(Opcode.ASYNC_MESSAGE, async.opcode());
        assertEquals(1, async.header().get(36), "AsyncEvent 1: logout requested");
        assertEquals(3, async.header().getShort(42), "Parameter3: seconds the initiator has to log out");
        TestInitiator.release(out);
        assertFalse(gone.toCompletableFuture().isDone());
        assertFalse(ini.conn.closed);
        assertEquals(List.of(3_500L), timer.delaysMillis, "the deadline is Parameter3 plus slack");

        timer.due.get(0).run();               // the deadline passes: the close is posted to the I/O thread
        ini.conn.runTasks();
        assertTrue(ini.conn.closed);
        assertTrue(gone.toCompletableFuture().isDone());
        assertTrue(rig.engine.sessionInfos().isEmpty());
        assertTrue(SessionAdmin.sessionStats(rig.engine).isEmpty());
    }

    @Test
    void killCompletesWhenTheInitiatorLogsOutAndTheDeadlineThenDoesNothing() {
        CompletionStage<Void> gone = SessionAdmin.killSession(rig.engine, ini.tsih, "", timer, 5).orElseThrow();
        TestInitiator.release(exchange());
        ini.send(ini.header(Opcode.LOGOUT_REQUEST, true, 0x80), null);   // close the session
        List<Pdu> out = exchange();
        assertEquals(Opcode.LOGOUT_RESPONSE, out.get(0).opcode());
        TestInitiator.release(out);
        assertTrue(gone.toCompletableFuture().isDone());
        assertTrue(ini.conn.closedGracefully);
        timer.due.get(0).run();
        ini.conn.runTasks();
        assertTrue(ini.drain().isEmpty());
    }

    @Test
    void killOfAnUnknownSessionSaysSo() {
        assertTrue(SessionAdmin.killSession(rig.engine, ini.tsih + 1, "x", timer, 5).isEmpty());
        assertTrue(timer.due.isEmpty());
    }

    @Test
    void unitAttentionsAreRecognisedInFixedAndDescriptorSense() {
        java.nio.ByteBuffer fixedUa = SenseData.fixed(dev.lunar.spi.scsi.Sense.of(6, 0x29, 0));
        assertTrue(IscsiTask.unitAttention(fixedUa));
        assertFalse(IscsiTask.unitAttention(SenseData.fixed(dev.lunar.spi.scsi.Sense.LBA_OUT_OF_RANGE)));
        byte[] descriptor = {0x72, 0x06, 0x29, 0x00, 0, 0, 0, 0};
        assertTrue(IscsiTask.unitAttention(java.nio.ByteBuffer.wrap(descriptor)));
        descriptor[1] = 0x05;
        assertFalse(IscsiTask.unitAttention(java.nio.ByteBuffer.wrap(descriptor)));
    }
}
