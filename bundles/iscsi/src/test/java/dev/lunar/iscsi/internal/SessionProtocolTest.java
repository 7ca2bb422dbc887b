package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.iscsi.internal.login.TargetConfig;
import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.DataInPdu;
import dev.lunar.pdu.LoginResponsePdu;
import dev.lunar.pdu.LogoutResponsePdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.RejectPdu;
import dev.lunar.pdu.ScsiResponsePdu;
import dev.lunar.pdu.TextRequestPdu;
import dev.lunar.pdu.TmfRequestPdu;
import dev.lunar.pdu.TmfResponsePdu;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CmdSN window, NOP, Text, Logout, TMF, Reject and session reinstatement. */
class SessionProtocolTest {

    private static final byte[] TUR = new byte[6];
    private static final byte[] INQUIRY = {0x12, 0, 0, 0, 36, 0};

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
            ini.conn.releaseSent();
        }
        assertEquals(liveBefore, BufferLeakDetector.live(), () -> "leaked buffers: " + BufferLeakDetector.liveOrigins());
    }

    private void login(EngineSettings settings) {
        rig = new TestInitiator.Rig(settings);
        ini = rig.connect().loginNormal();
    }

    private void login() {
        login(EngineSettings.standard());
    }

    private Pdu only() {
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size(), () -> "expected one PDU, got " + out);
        return out.get(0);
    }

    private int expCmdSnFromNop() {
        ini.nopOut(0x77, Bhs.RESERVED_TAG, null);
        Pdu p = only();
        assertEquals(Opcode.NOP_IN, p.opcode());
        int exp = Bhs.expSn(p.header());
        p.release();
        return exp;
    }

    private int maxCmdSnFromNop() {
        ini.nopOut(0x78, Bhs.RESERVED_TAG, null);
        Pdu p = only();
        int max = p.header().getInt(32);
        p.release();
        return max;
    }

    // ---------------------------------------------------------------- CmdSN

    @Test
    void commandsRunInCmdSnOrder() {
        login();
        int first = ini.cmdSn;
        ini.commandWithSn(TUR, false, false, 0, null, true, false, first + 1);
        assertTrue(ini.drain().isEmpty(), "a command ahead of ExpCmdSN waits");
        assertTrue(rig.device.executedOpcodes.isEmpty());
        ini.commandWithSn(INQUIRY, true, false, 36, null, true, false, first);
        ini.cmdSn = first + 2;
        List<Pdu> out = ini.drain();
        assertEquals(List.of(0x12, 0x00), rig.device.executedOpcodes);
        assertEquals(2, out.size());
        assertEquals(Opcode.DATA_IN, out.get(0).opcode());
        assertEquals(Opcode.SCSI_RESPONSE, out.get(1).opcode());
        assertEquals(first + 2, Bhs.expSn(out.get(1).header()));
        TestInitiator.release(out);
    }

    @Test
    void commandsOutsideTheWindowAreDroppedSilently() {
        login();
        int exp = expCmdSnFromNop();
        int max = maxCmdSnFromNop();
        ini.commandWithSn(TUR, false, false, 0, null, true, false, max + 1);
        ini.commandWithSn(TUR, false, false, 0, null, true, false, exp - 1);
        assertTrue(ini.drain().isEmpty());
        assertTrue(rig.device.executedOpcodes.isEmpty());
        assertEquals(exp, expCmdSnFromNop());
        // The window still works afterwards.
        ini.command(TUR, false, false, 0, null, true, false);
        Pdu r = only();
        assertEquals(0, ScsiResponsePdu.status(r.header()));
        r.release();
    }

    @Test
    void maxCmdSnFollowsFreeTaskSlots() {
        login(EngineSettings.standard().withQueueDepth(4));
        rig.device.hold = true;
        for (int i = 0; i < 4; i++) {
            ini.command(TUR, false, false, 0, null, true, false);
        }
        int exp = expCmdSnFromNop();
        assertEquals(exp - 1, maxCmdSnFromNop(), "all four slots busy: the window is closed");
        // A fifth command is outside the window and never reaches the SCSI core.
        ini.command(TUR, false, false, 0, null, true, false);
        assertEquals(4, rig.device.executedOpcodes.size());
        // An immediate command finds no slot either.
        ini.command(TUR, false, false, 0, null, true, true);
        Pdu rej = only();
        assertEquals(Opcode.REJECT, rej.opcode());
        assertEquals(RejectPdu.IMMEDIATE_COMMAND_REJECT, RejectPdu.reason(rej.header()));
        rej.release();
        rig.device.releaseHeld();
        ini.conn.runTasks();
        List<Pdu> out = ini.drain();
        assertEquals(4, out.size());
        assertEquals(exp + 3, out.get(3).header().getInt(32), "slots free again");
        TestInitiator.release(out);
    }

    @Test
    void r2tsWaitForTheSessionsSolicitBudget() {
        login(EngineSettings.standard().withMaxSolicitedBytes(4096));
        int a = ini.command(TestInitiator.write10(0, 8), false, true, 4096, null, true, false);
        int b = ini.command(TestInitiator.write10(8, 8), false, true, 4096, null, true, false);
        List<Pdu> r2t = ini.drain();
        assertEquals(1, r2t.size(), "one MaxBurstLength in flight for the whole session");
        assertEquals(a, Bhs.itt(r2t.get(0).header()));
        int ttt = Bhs.ttt(r2t.get(0).header());
        TestInitiator.release(r2t);
        ini.dataOut(a, ttt, 0, 0, new byte[4096], true);
        List<Pdu> out = ini.drain();
        assertEquals(2, out.size());
        Pdu next = out.stream().filter(p -> p.opcode() == Opcode.R2T).findFirst().orElseThrow();
        assertTrue(out.stream().anyMatch(p -> p.opcode() == Opcode.SCSI_RESPONSE && Bhs.itt(p.header()) == a));
        assertEquals(b, Bhs.itt(next.header()));
        ttt = Bhs.ttt(next.header());
        TestInitiator.release(out);
        ini.dataOut(b, ttt, 0, 0, new byte[4096], true);
        Pdu r = only();
        assertEquals(0, ScsiResponsePdu.status(r.header()));
        r.release();
    }

    // ---------------------------------------------------------------- NOP

    @Test
    void nopOutIsEchoedAndPingsDetectDeadConnections() {
        login();
        byte[] ping = TestInitiator.pattern(100, 4);
        ini.nopOut(0x55, Bhs.RESERVED_TAG, ping);
        Pdu p = only();
        assertEquals(Opcode.NOP_IN, p.opcode());
        assertEquals(0x55, Bhs.itt(p.header()));
        assertEquals(Bhs.RESERVED_TAG, Bhs.ttt(p.header()));
        assertArrayEquals(ping, p.data().toByteArray());
        p.release();
        ini.nopOut(Bhs.RESERVED_TAG, Bhs.RESERVED_TAG, null);
        assertTrue(ini.drain().isEmpty(), "ITT 0xffffffff wants no answer");

        rig.clock[0] += 11_000_000_000L;
        rig.engine.sweepIdle();
        ini.conn.runTasks();
        Pdu targetPing = only();
        assertEquals(Opcode.NOP_IN, targetPing.opcode());
        assertEquals(Bhs.RESERVED_TAG, Bhs.itt(targetPing.header()));
        int ttt = Bhs.ttt(targetPing.header());
        assertNotEquals(Bhs.RESERVED_TAG, ttt);
        targetPing.release();
        ini.nopOut(Bhs.RESERVED_TAG, ttt, null);
        assertTrue(ini.drain().isEmpty());

        rig.clock[0] += 11_000_000_000L;
        rig.engine.sweepIdle();
        ini.conn.runTasks();
        only().release();
        rig.clock[0] += 31_000_000_000L;
        rig.engine.sweepIdle();
        ini.conn.runTasks();
        assertTrue(ini.conn.closed, "an unanswered ping closes the connection");
        assertTrue(rig.engine.sessionInfos().isEmpty());
    }

    // ---------------------------------------------------------------- Logout

    @Test
    void logoutClosesTheSession() {
        login();
        ByteBuffer h = ini.header(Opcode.LOGOUT_REQUEST, true, 0x80 | 2);
        ini.send(h, null);
        Pdu r = only();
        assertEquals(LogoutResponsePdu.RECOVERY_NOT_SUPPORTED, LogoutResponsePdu.response(r.header()));
        r.release();
        h = ini.header(Opcode.LOGOUT_REQUEST, true, 0x80 | 1);
        Bhs.putU16(h, 20, 9);
        ini.send(h, null);
        r = only();
        assertEquals(LogoutResponsePdu.CID_NOT_FOUND, LogoutResponsePdu.response(r.header()));
        r.release();
        assertFalse(ini.conn.closed);
        ini.send(ini.header(Opcode.LOGOUT_REQUEST, true, 0x80), null);
        r = only();
        assertEquals(Opcode.LOGOUT_RESPONSE, r.opcode());
        assertEquals(LogoutResponsePdu.CLOSED_SUCCESSFULLY, LogoutResponsePdu.response(r.header()));
        r.release();
        assertTrue(ini.conn.closed);
        assertTrue(ini.conn.closedGracefully);
        assertTrue(rig.engine.sessionInfos().isEmpty());
    }

    // ---------------------------------------------------------------- TMF

    private ByteBuffer tmf(int function, int refItt, int refCmdSn) {
        ByteBuffer h = ini.header(Opcode.TMF_REQUEST, true, 0x80 | function);
        h.putInt(TmfRequestPdu.OFFSET_REFERENCED_TAG, refItt);
        h.putInt(TmfRequestPdu.OFFSET_REF_CMD_SN, refCmdSn);
        return h;
    }

    @Test
    void abortTaskLeavesNoResponseForTheTask() {
        login();
        rig.device.hold = true;
        int sn = ini.cmdSn;
        int itt = ini.read(0, 1, 512);
        ini.send(tmf(1, itt, sn), null);
        Pdu r = only();
        assertEquals(Opcode.TMF_RESPONSE, r.opcode());
        assertEquals(TmfResponsePdu.FUNCTION_COMPLETE, TmfResponsePdu.response(r.header()));
        r.release();
        rig.device.releaseHeld();
        ini.conn.runTasks();
        assertTrue(ini.drain().isEmpty(), "the aborted task gets no SCSI Response");
        // The slot came back.
        assertEquals(ini.cmdSn + 127, maxCmdSnFromNop());
    }

    /** The core's completion of the task from its own thread (file I/O), queued for the I/O thread. */
    private void completeFromAnotherThread() {
        dev.lunar.spi.scsi.ScsiTask t = rig.device.parked.poll();
        t.transferLength(512);
        t.sendData(0, DataBuffers.wrap(new byte[512]));
        t.complete(dev.lunar.spi.scsi.ScsiStatus.GOOD, null);
    }

    @Test
    void anAbortThatCrossesTheCompletionLeavesOneOutcome() {
        // libiscsi's iSCSITMF.AbortTaskSimpleAsync on a file LUN: the write completed on a pool
        // thread while ABORT TASK reached the core, which still listed it and said "function
        // complete". The initiator must not get both the status and "function complete".
        login();
        rig.device.hold = true;
        rig.device.abortAfterCompletion = true;
        int sn = ini.cmdSn;
        int itt = ini.read(0, 1, 512);
        completeFromAnotherThread();
        ini.send(tmf(1, itt, sn), null);
        ini.conn.runTasks();
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size(), () -> "only the TMF response: " + out);
        assertEquals(Opcode.TMF_RESPONSE, out.get(0).opcode());
        assertEquals(TmfResponsePdu.FUNCTION_COMPLETE, TmfResponsePdu.response(out.get(0).header()));
        TestInitiator.release(out);
        assertEquals(ini.cmdSn + 127, maxCmdSnFromNop(), "the slot came back");
    }

    @Test
    void anAbortAnsweredAfterTheStatusWentOutFindsNoTask() {
        login();
        rig.device.hold = true;
        rig.device.abortAfterCompletion = true;
        rig.device.deferTmfAnswers = true;
        int sn = ini.cmdSn;
        int itt = ini.read(0, 1, 512);
        completeFromAnotherThread();
        ini.send(tmf(1, itt, sn), null);
        // The completion runs first; the core's "function complete" arrives after it.
        ini.conn.runTasks();
        rig.device.deferredTmfAnswers.poll().run();
        ini.conn.runTasks();
        List<Pdu> out = ini.drain();
        assertEquals(List.of(Opcode.DATA_IN, Opcode.TMF_RESPONSE), out.stream().map(Pdu::opcode).toList());
        assertEquals(TmfResponsePdu.TASK_DOES_NOT_EXIST, TmfResponsePdu.response(out.get(1).header()),
                "the task completed before the abort: task does not exist");
        TestInitiator.release(out);
    }

    @Test
    void abortTaskRulesForTasksNeverSeen() {
        login();
        int exp = expCmdSnFromNop();
        ini.send(tmf(1, 0x9999, exp - 5), null);
        Pdu r = only();
        assertEquals(TmfResponsePdu.TASK_DOES_NOT_EXIST, TmfResponsePdu.response(r.header()));
        r.release();
        // The command numbered exp was lost on the way: RefCmdSN in the window and below the
        // TMF's own CmdSN means "consider it received" (RFC 7143 §11.6.1).
        ini.cmdSn++;
        ini.send(tmf(1, 0x9998, exp), null);
        r = only();
        assertEquals(TmfResponsePdu.FUNCTION_COMPLETE, TmfResponsePdu.response(r.header()));
        r.release();
        assertEquals(exp + 1, expCmdSnFromNop());
    }

    @Test
    void otherFunctionsMapToIscsiResponses() {
        login();
        ini.send(tmf(8, 0, 0), null);
        Pdu r = only();
        assertEquals(TmfResponsePdu.ALLEGIANCE_REASSIGNMENT_NOT_SUPPORTED, TmfResponsePdu.response(r.header()));
        r.release();
        ini.send(tmf(0x40, 0, 0), null);
        r = only();
        assertEquals(TmfResponsePdu.FUNCTION_NOT_SUPPORTED, TmfResponsePdu.response(r.header()));
        r.release();
        ini.send(tmf(5, 0, 0), null);
        r = only();
        assertEquals(TmfResponsePdu.FUNCTION_COMPLETE, TmfResponsePdu.response(r.header()));
        r.release();
    }

    @Test
    void abortOfAHeldCommandDropsItAndItsCmdSn() {
        login();
        int sn = ini.cmdSn;
        int itt = ini.commandWithSn(TUR, false, false, 0, null, true, false, sn + 1);
        ini.send(tmf(1, itt, sn + 1), null);
        Pdu r = only();
        assertEquals(TmfResponsePdu.FUNCTION_COMPLETE, TmfResponsePdu.response(r.header()));
        r.release();
        ini.commandWithSn(TUR, false, false, 0, null, true, false, sn);
        ini.cmdSn = sn + 2;
        r = only();
        assertEquals(Opcode.SCSI_RESPONSE, r.opcode());
        r.release();
        assertEquals(List.of(0), rig.device.executedOpcodes);
        assertEquals(sn + 2, expCmdSnFromNop());
    }

    // ---------------------------------------------------------------- Reject

    @Test
    void malformedAndUnsupportedPdusAreRejected() {
        login();
        ByteBuffer snack = ini.header(Opcode.SNACK, true, 0x80); // SNACK carries no CmdSN
        ini.send(snack, null);
        Pdu r = only();
        assertEquals(Opcode.REJECT, r.opcode());
        assertEquals(RejectPdu.PROTOCOL_ERROR, RejectPdu.reason(r.header()));
        assertEquals(48, r.dataLength());
        assertEquals(Opcode.SNACK, r.data().toByteArray()[0] & 0x3f);
        r.release();

        ini.send(Bhs.allocate(0x1c, false), null);
        r = only();
        assertEquals(RejectPdu.COMMAND_NOT_SUPPORTED, RejectPdu.reason(r.header()));
        r.release();

        ByteBuffer nop = ini.header(Opcode.NOP_OUT, true, 0x80);
        Bhs.putDataSegmentLength(nop, 8);
        Pdu bad = new Pdu(nop, DataBuffers.wrap(new byte[8]));
        bad.markDataDigestFailed();
        ini.conn.receive(bad);
        r = only();
        assertEquals(RejectPdu.DATA_DIGEST_ERROR, RejectPdu.reason(r.header()));
        r.release();

        // Truncated AHS: TotalAHSLength promises more than the header holds.
        ByteBuffer cmd = ini.header(Opcode.SCSI_COMMAND, false, 0x80);
        Bhs.putTotalAhsLength(cmd, 4);
        ini.send(cmd, null);
        r = only();
        assertEquals(RejectPdu.PROTOCOL_ERROR, RejectPdu.reason(r.header()));
        r.release();
        assertFalse(ini.conn.closed);
        // The rejected command's CmdSN was consumed: the next one runs.
        ini.command(TUR, false, false, 0, null, true, false);
        r = only();
        assertEquals(Opcode.SCSI_RESPONSE, r.opcode());
        r.release();
    }

    @Test
    void randomPdusNeverEscape() {
        login();
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 3000 && !ini.conn.closed; i++) {
            ByteBuffer h = ByteBuffer.allocate(48);
            rnd.nextBytes(h.array());
            h.put(0, (byte) (rnd.nextInt(0x20) | (rnd.nextBoolean() ? 0x40 : 0)));
            Bhs.putTotalAhsLength(h, 0);
            int n = rnd.nextInt(3) == 0 ? rnd.nextInt(600) : 0;
            Bhs.putDataSegmentLength(h, n);
            ini.conn.receive(new Pdu(h, n == 0 ? null : DataBuffers.wrap(new byte[n])));
            ini.conn.runTasks();
            ini.conn.releaseSent();
        }
        rig.device.releaseHeld();
        ini.conn.runTasks();
        ini.conn.releaseSent();
        if (!ini.conn.closed) {
            ini.conn.close(false);
        }
        assertTrue(rig.engine.sessionInfos().isEmpty());
    }

    @Test
    void connectionLossReleasesEverythingHeld() {
        login();
        rig.device.hold = true;
        int sn = ini.cmdSn;
        // A write waiting for its CmdSN with immediate data, a read parked in the SCSI core, and a
        // write whose data is half in.
        ini.commandWithSn(TestInitiator.write10(0, 2), false, true, 1024, new byte[512], false, false, sn + 2);
        ini.commandWithSn(TestInitiator.read10(0, 4), true, false, 2048, null, true, false, sn);
        rig.device.hold = false;
        int w = ini.commandWithSn(TestInitiator.write10(8, 4), false, true, 2048, new byte[1024], false, false, sn + 1);
        ini.dataOut(w, Bhs.RESERVED_TAG, 0, 1024, new byte[512], false);
        ini.conn.releaseSent();
        assertTrue(BufferLeakDetector.live() > liveBefore, "buffers are held before the loss");
        ini.conn.close(false);
        ini.conn.runTasks();
        assertEquals(1, rig.device.nexusesClosed);
        assertTrue(rig.engine.sessionInfos().isEmpty());
        assertTrue(rig.device.running.isEmpty());
    }

    // ---------------------------------------------------------------- Login and reinstatement

    @Test
    void reinstatementClosesTheOldSession() {
        login();
        ini.command(TUR, false, false, 0, null, true, false);
        ini.conn.releaseSent();
        assertEquals(1, rig.device.nexusesOpened);
        int oldTsih = ini.tsih;
        TestInitiator again = rig.connect();
        again.loginNormal();
        // The old nexus is gone before the new session can open one of the same name.
        assertEquals(1, rig.device.nexusesClosed);
        assertFalse(ini.conn.closed, "the old connection closes on its own I/O thread");
        ini.conn.runTasks();
        again.command(TUR, false, false, 0, null, true, false);
        assertEquals(2, rig.device.nexusesOpened);
        assertEquals(1, rig.device.nexusesClosed);
        assertTrue(ini.conn.closed);
        assertEquals(1, rig.engine.sessionInfos().size());
        assertEquals(again.tsih, rig.engine.sessionInfos().get(0).tsih());
        assertNotEquals(oldTsih, again.tsih);
        again.conn.releaseSent();
    }

    @Test
    void removingATargetEndsItsSessionsOnly() {
        login();
        rig.engine.putTarget("other", TargetConfig.of("iqn.2026-01.dev.lunar:other"));
        rig.engine.removeTarget("other");
        ini.conn.runTasks();
        assertFalse(ini.conn.closed);
        rig.engine.putTarget("disk0", new TargetConfig(TestInitiator.TARGET, "new alias", null, null, false));
        ini.conn.runTasks();
        assertFalse(ini.conn.closed, "a changed alias keeps the session");
        rig.engine.removeTarget("disk0");
        ini.conn.runTasks();
        assertTrue(ini.conn.closed);
        assertTrue(rig.engine.sessionInfos().isEmpty());
    }

    @Test
    void loginWithoutScsiCoreIsServiceUnavailable() {
        rig = new TestInitiator.Rig();
        rig.engine.setDeviceServer(null);
        ini = rig.connect();
        Pdu r = ini.login(TestInitiator.normalKeys());
        assertEquals(3, LoginResponsePdu.statusClass(r.header()));
        assertEquals(1, LoginResponsePdu.statusDetail(r.header()));
        r.release();
        assertTrue(ini.conn.closed);
        assertTrue(rig.engine.sessionInfos().isEmpty());
    }

    @Test
    void nonLoginPduDuringLoginFailsTheLogin() {
        rig = new TestInitiator.Rig();
        ini = rig.connect();
        ini.nopOut(1, Bhs.RESERVED_TAG, null);
        Pdu r = only();
        assertEquals(Opcode.LOGIN_RESPONSE, r.opcode());
        assertEquals(2, LoginResponsePdu.statusClass(r.header()));
        r.release();
        assertTrue(ini.conn.closed);
    }

    @Test
    void unfinishedLoginTimesOut() {
        rig = new TestInitiator.Rig();
        ini = rig.connect();
        rig.clock[0] += 20_000_000_000L;
        rig.engine.sweepIdle();
        ini.conn.runTasks();
        assertFalse(ini.conn.closed);
        rig.clock[0] += 11_000_000_000L;
        rig.engine.sweepIdle();
        ini.conn.runTasks();
        assertTrue(ini.conn.closed);
        assertEquals(0, rig.engine.connectionCount());
    }

    // ---------------------------------------------------------------- Text / SendTargets

    @Test
    void sendTargetsWithContinuation() {
        rig = new TestInitiator.Rig();
        for (int i = 0; i < 30; i++) {
            rig.engine.putTarget("t" + i, TargetConfig.of(String.format("iqn.2026-01.dev.lunar:a-rather-long-target-name-%03d", i)));
        }
        ini = rig.connect().loginDiscovery();
        ini.command(TUR, false, false, 0, null, true, false);
        Pdu rej = only();
        assertEquals(Opcode.REJECT, rej.opcode(), "no SCSI in discovery sessions");
        rej.release();
        ByteBuffer h = ini.header(Opcode.TEXT_REQUEST, false, 0x80);
        ini.send(h, TestInitiator.text("SendTargets=All"));
        StringBuilder all = new StringBuilder();
        int parts = 0;
        for (;;) {
            Pdu r = only();
            assertEquals(Opcode.TEXT_RESPONSE, r.opcode());
            assertTrue(r.dataLength() <= 512);
            all.append(TestInitiator.string(r));
            parts++;
            boolean fin = Bhs.finalFlag(r.header());
            boolean cont = TextRequestPdu.continues(r.header());
            int ttt = Bhs.ttt(r.header());
            int itt = Bhs.itt(r.header());
            r.release();
            if (fin) {
                assertFalse(cont);
                assertEquals(Bhs.RESERVED_TAG, ttt);
                break;
            }
            assertTrue(cont);
            ByteBuffer next = ini.header(Opcode.TEXT_REQUEST, false, 0x80);
            Bhs.putItt(next, itt);
            Bhs.putTtt(next, ttt);
            ini.send(next, null);
        }
        assertTrue(parts > 3, "a long answer comes in several parts");
        for (int i = 0; i < 30; i++) {
            assertTrue(all.toString().contains(String.format("TargetName=iqn.2026-01.dev.lunar:a-rather-long-target-name-%03d", i)));
        }
        assertTrue(all.toString().contains("TargetAddress=127.0.0.1:3260,1"));
        ini.send(ini.header(Opcode.TEXT_REQUEST, false, 0x80), TestInitiator.text("FooBar=1"));
        Pdu r = only();
        assertTrue(TestInitiator.string(r).contains("FooBar=NotUnderstood"));
        r.release();
    }

    @Test
    void asyncLogoutRequest() {
        login();
        IscsiConnection c = rig.portal.connections.iterator().next();
        c.requestLogout(5);
        ini.conn.runTasks();
        Pdu r = only();
        assertEquals(Opcode.ASYNC_MESSAGE, r.opcode());
        assertEquals(1, r.header().get(36));
        assertEquals(5, r.header().getShort(42));
        r.release();
        // A SCSI async event (a unit attention) carries sense behind its SenseLength.
        rig.engine.scsiAsyncEvent(TestInitiator.TARGET, 0x0001000000000000L,
                SenseData.fixed(dev.lunar.spi.scsi.Sense.of(6, 0x2a, 0x09)));
        ini.conn.runTasks();
        r = only();
        assertEquals(Opcode.ASYNC_MESSAGE, r.opcode());
        assertEquals(0, r.header().get(36));
        assertEquals(0x0001000000000000L, Bhs.lun(r.header()));
        byte[] d = r.data().toByteArray();
        assertEquals(18, d[1]);
        assertEquals(6, d[4]);
        assertEquals(0x2a, d[14]);
        r.release();
        assertTrue(DataInPdu.FLAG_STATUS == 1);
    }
}
