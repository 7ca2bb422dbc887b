package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.RejectPdu;
import dev.lunar.pdu.ScsiResponsePdu;
import dev.lunar.pdu.TmfRequestPdu;
import dev.lunar.pdu.TmfResponsePdu;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md §3.4 with a fake transport: MaxCmdSN follows task slots and the memory the session
 * holds (Data-Out not yet taken by the SCSI core, Data-In deferred or queued in the transport);
 * output pauses while the connection is not writable; the window reopens when memory comes back.
 * Also ExpStatSN checking and task-set functions dropping commands held in the CmdSN window.
 */
class FlowControlTest {

    private static final byte[] TUR = new byte[6];
    /** Offsets of ExpCmdSN and MaxCmdSN in every target PDU that carries them. */
    private static final int EXP_CMD_SN = 28;
    private static final int MAX_CMD_SN = 32;
    /** Offset of ExpStatSN in initiator PDUs. */
    private static final int EXP_STAT_SN = 28;

    private long liveBefore;
    private TestInitiator.Rig rig;
    private TestInitiator ini;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
    }

    @AfterEach
    void noLeaks() {
        if (ini != null) {
            ini.conn.completeSends();
            ini.conn.releaseSent();
        }
        assertEquals(liveBefore, BufferLeakDetector.live(), () -> "leaked buffers: " + BufferLeakDetector.liveOrigins());
    }

    private void login(EngineSettings settings) {
        rig = new TestInitiator.Rig(settings);
        ini = rig.connect().loginNormal();
    }

    private Session session() {
        return ((IscsiConnection) ini.conn.listener()).session();
    }

    private Pdu only() {
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size(), () -> "expected one PDU, got " + out);
        return out.get(0);
    }

    @Test
    void aFloodOfCommandsNeverGrowsTheQueueBeyondTheWindow() {
        login(EngineSettings.standard().withQueueDepth(4));
        rig.device.hold = true;
        int first = ini.cmdSn;
        for (int i = 0; i < 100; i++) {
            ini.command(TUR, false, false, 0, null, true, false);
        }
        // And commands numbered ahead, as if earlier ones were lost: none fits a closed window.
        for (int i = 0; i < 100; i++) {
            ini.commandWithSn(TUR, false, false, 0, null, true, false, first + 4 + i);
        }

        assertEquals(4, rig.device.executedOpcodes.size(), "the SCSI core saw only the window's worth");
        assertEquals(4, session().tasks.size(), "nothing is queued beyond the four slots");
        assertEquals(0, session().window.heldCount());
        assertTrue(ini.drain().isEmpty());

        rig.device.releaseHeld();
        ini.conn.runTasks();
        List<Pdu> out = ini.drain();
        assertEquals(4, out.size());
        assertEquals(first + 4 + 3, out.get(3).header().getInt(MAX_CMD_SN), "four slots free again");
        TestInitiator.release(out);
    }

    @Test
    void aSlowReaderPausesDataInAndClosesTheWindowUntilTheBytesHaveLeft() {
        login(EngineSettings.standard().withQueueDepth(8).withMaxSessionBytes(8192));
        int first = ini.cmdSn;
        int advertised = first + 7;
        ini.conn.writable(false);
        assertFalse(ini.conn.reading, "no new commands are read while the initiator does not read");

        int readItt = ini.read(0, 16, 8192);
        assertTrue(ini.drain().isEmpty(), "neither Data-In nor status while the connection is not writable");
        assertEquals(8192, session().memoryHeld(), "the read data is held, and counted");

        // Slots are free but memory is not: every answer repeats the MaxCmdSN already advertised,
        // until ExpCmdSN has caught up with it and the window is closed.
        while (ini.cmdSn <= advertised) {
            ini.command(TUR, false, false, 0, null, true, false);
            Pdu r = only();
            assertEquals(Opcode.SCSI_RESPONSE, r.opcode());
            assertEquals(advertised, r.header().getInt(MAX_CMD_SN));
            r.release();
        }
        int executed = rig.device.executedOpcodes.size();
        ini.command(TUR, false, false, 0, null, true, false);
        assertTrue(ini.drain().isEmpty(), "CmdSN beyond MaxCmdSN is ignored (RFC 7143 §4.2.2.1)");
        assertEquals(executed, rig.device.executedOpcodes.size());
        ini.cmdSn--;
        // Immediate commands bypass the window; with memory exhausted they find no slot either.
        ini.command(TUR, false, false, 0, null, true, true);
        Pdu rejected = only();
        assertEquals(Opcode.REJECT, rejected.opcode());
        assertEquals(RejectPdu.IMMEDIATE_COMMAND_REJECT, RejectPdu.reason(rejected.header()));
        rejected.release();

        // Writable again: the Data-In goes out, the status with it; the bytes are queued in the
        // transport and still count until the transport reports them sent.
        ini.conn.holdSendCallbacks = true;
        ini.conn.writable(true);
        assertTrue(ini.conn.reading);
        List<Pdu> out = ini.drain();
        int bytes = 0;
        for (Pdu p : out) {
            assertEquals(Opcode.DATA_IN, p.opcode());
            assertEquals(readItt, Bhs.itt(p.header()));
            bytes += p.dataLength();
        }
        assertEquals(8192, bytes);
        Pdu last = out.get(out.size() - 1);
        assertTrue((Bhs.flags(last.header()) & 1) != 0, "status collapsed into the last Data-In");
        assertEquals(advertised, last.header().getInt(MAX_CMD_SN), "still closed: the bytes have not left");
        TestInitiator.release(out);
        assertEquals(8192, session().memoryHeld());

        ini.conn.completeSends();
        assertEquals(0, session().memoryHeld());
        Pdu nop = only();
        assertEquals(Opcode.NOP_IN, nop.opcode());
        assertEquals(Bhs.RESERVED_TAG, Bhs.itt(nop.header()));
        assertEquals(Bhs.RESERVED_TAG, Bhs.ttt(nop.header()), "an announcement, not a ping: no answer wanted");
        int exp = nop.header().getInt(EXP_CMD_SN);
        assertEquals(advertised + 1, exp);
        assertEquals(exp + 7, nop.header().getInt(MAX_CMD_SN), "the window reopened with all eight slots");
        nop.release();

        ini.command(TUR, false, false, 0, null, true, false);
        Pdu r = only();
        assertEquals(0, ScsiResponsePdu.status(r.header()));
        r.release();
    }

    @Test
    void heldDataOutPausesReadingAndTheWindowUntilTheCoreTakesIt() {
        login(EngineSettings.standard().withQueueDepth(16).withMaxSessionBytes(4096));
        rig.device.hold = true;
        int first = ini.cmdSn;
        ini.command(TestInitiator.write10(0, 4), false, true, 2048, TestInitiator.pattern(2048, 1), true, false);
        assertTrue(ini.conn.reading);
        ini.command(TestInitiator.write10(4, 4), false, true, 2048, TestInitiator.pattern(2048, 2), true, false);
        assertEquals(4096, session().memoryHeld());
        // 4 KiB of immediate data waits for a SCSI core that has not asked for it yet: the wire
        // can pause, because the data drains without reading more.
        assertFalse(ini.conn.reading);

        rig.device.releaseHeld();
        ini.conn.runTasks();
        assertEquals(0, session().memoryHeld());
        assertTrue(ini.conn.reading);
        List<Pdu> out = ini.drain();
        assertEquals(2, out.size());
        assertEquals(first + 2 + 15, out.get(1).header().getInt(MAX_CMD_SN), "window follows the free slots again");
        TestInitiator.release(out);
        assertEquals(TestInitiator.pattern(2048, 2)[5], rig.device.disk[2048 + 5]);
    }

    @Test
    void readingStaysOnWhileHeldDataWaitsForACmdSnGap() {
        login(EngineSettings.standard().withQueueDepth(16).withMaxSessionBytes(2048));
        int first = ini.cmdSn;
        // CmdSN first + 1 arrives before first: its data cannot drain until first is read.
        ini.commandWithSn(TestInitiator.write10(0, 4), false, true, 2048, TestInitiator.pattern(2048, 3), true, false,
                first + 1);
        assertEquals(2048, session().memoryHeld());
        assertTrue(ini.conn.reading, "pausing now would wait forever for the gap");
        ini.commandWithSn(TUR, false, false, 0, null, true, false, first);
        ini.cmdSn = first + 2;
        List<Pdu> out = ini.drain();
        assertEquals(2, out.size());
        TestInitiator.release(out);
        assertEquals(0, session().memoryHeld());
    }

    @Test
    void r2tsWaitWhileTheConnectionIsNotWritable() {
        login(EngineSettings.standard());
        ini.conn.writable(false);
        int itt = ini.command(TestInitiator.write10(0, 8), false, true, 4096, null, true, false);
        assertTrue(ini.drain().isEmpty(), "no R2T into a full send queue");
        ini.conn.writable(true);
        Pdu r2t = only();
        assertEquals(Opcode.R2T, r2t.opcode());
        assertEquals(itt, Bhs.itt(r2t.header()));
        int ttt = Bhs.ttt(r2t.header());
        r2t.release();
        ini.dataOut(itt, ttt, 0, 0, TestInitiator.pattern(4096, 9), true);
        Pdu r = only();
        assertEquals(0, ScsiResponsePdu.status(r.header()));
        r.release();
    }

    @Test
    void expStatSnOutOfRangeIsIgnoredNotFatal() {
        login(EngineSettings.standard());
        ByteBuffer h = ini.header(Opcode.NOP_OUT, true, 0x80);
        h.putInt(EXP_STAT_SN, ini.expStatSn + 1_000_000);
        ini.send(h, null);
        Pdu nop = only();
        assertEquals(Opcode.NOP_IN, nop.opcode());
        nop.release();
        ByteBuffer back = ini.header(Opcode.NOP_OUT, true, 0x80);
        back.putInt(EXP_STAT_SN, ini.expStatSn - 1_000);
        ini.send(back, null);
        nop = only();
        assertEquals(Opcode.NOP_IN, nop.opcode());
        nop.release();
        assertFalse(ini.conn.closed);
        ini.command(TUR, false, false, 0, null, true, false);
        Pdu r = only();
        assertEquals(0, ScsiResponsePdu.status(r.header()));
        r.release();
    }

    @Test
    void abortTaskSetDropsCommandsOfItsLunHeldInTheWindow() {
        login(EngineSettings.standard());
        int first = ini.cmdSn;
        ini.commandWithSn(TUR, false, false, 0, null, true, false, first + 1);
        assertEquals(1, session().window.heldCount());
        // An immediate ABORT TASK SET carries the next CmdSN: the held command is numbered before it.
        ByteBuffer h = ini.header(Opcode.TMF_REQUEST, true, 0x80 | 2);
        h.putInt(24, first + 2);
        h.putInt(TmfRequestPdu.OFFSET_REFERENCED_TAG, Bhs.RESERVED_TAG);
        ini.send(h, null);
        Pdu r = only();
        assertEquals(TmfResponsePdu.FUNCTION_COMPLETE, TmfResponsePdu.response(r.header()));
        r.release();
        assertEquals(0, session().tasks.size());

        // The gap closes: the dropped command's CmdSN counts as received, it never runs or answers.
        ini.commandWithSn(TUR, false, false, 0, null, true, false, first);
        Pdu only = only();
        assertEquals(Opcode.SCSI_RESPONSE, only.opcode());
        only.release();
        assertEquals(1, rig.device.executedOpcodes.size());
        ini.nopOut(0x66, Bhs.RESERVED_TAG, null);
        Pdu nop = only();
        assertEquals(first + 2, nop.header().getInt(EXP_CMD_SN));
        nop.release();
    }

    @Test
    void aLunResetLeavesCommandsNumberedAfterIt() {
        login(EngineSettings.standard());
        int first = ini.cmdSn;
        ini.commandWithSn(TUR, false, false, 0, null, true, false, first + 2);
        ByteBuffer h = ini.header(Opcode.TMF_REQUEST, true, 0x80 | 5);
        h.putInt(24, first + 1);
        h.putInt(TmfRequestPdu.OFFSET_REFERENCED_TAG, Bhs.RESERVED_TAG);
        ini.send(h, null);
        Pdu r = only();
        assertEquals(TmfResponsePdu.FUNCTION_COMPLETE, TmfResponsePdu.response(r.header()));
        r.release();
        assertEquals(1, session().window.heldCount(), "numbered after the reset: not affected");
        ini.commandWithSn(TUR, false, false, 0, null, true, false, first);
        ini.commandWithSn(TUR, false, false, 0, null, true, false, first + 1);
        List<Pdu> out = ini.drain();
        assertEquals(3, out.size(), "the held command ran once its turn came");
        TestInitiator.release(out);
        assertEquals(3, rig.device.executedOpcodes.size());
    }
}
