package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.DataInPdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.R2tPdu;
import dev.lunar.pdu.ScsiResponsePdu;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Login to full feature phase, reads, writes and residuals against the RAM device. */
class FullFeatureTest {

    private long liveBefore;
    private TestInitiator.Rig rig;
    private TestInitiator ini;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        rig = new TestInitiator.Rig();
        ini = rig.connect().loginNormal();
    }

    @AfterEach
    void noLeaks() {
        ini.conn.releaseSent();
        assertEquals(liveBefore, BufferLeakDetector.live(), () -> "leaked buffers: " + BufferLeakDetector.liveOrigins());
    }

    @Test
    void loginAppliesNegotiatedSettingsAndRegistersTheSession() {
        assertEquals(1, ini.conn.configured.size());
        ConnectionSettings s = ini.conn.configured.get(0);
        assertEquals(1024, s.maxSendDataSegmentLength());
        assertFalse(s.headerDigest());
        assertEquals(1, rig.engine.sessionInfos().size());
        assertEquals(TestInitiator.INITIATOR, rig.engine.sessionInfos().get(0).initiator());
        assertEquals("23d000000001", rig.engine.sessionInfos().get(0).isid());
        assertEquals(1, rig.engine.targetInfos().get(0).sessions());
    }

    @Test
    void readIsSplitBySegmentAndBurstWithStatusCollapse() {
        byte[] content = TestInitiator.pattern(16 * 512, 3);
        System.arraycopy(content, 0, rig.device.disk, 0, content.length);
        int itt = ini.read(0, 16, 16 * 512);
        List<Pdu> out = ini.drain();
        // 8192 bytes, MaxRecvDataSegmentLength 1024, MaxBurstLength 4096: 8 PDUs, two sequences.
        assertEquals(8, out.size());
        byte[] got = new byte[8192];
        for (int i = 0; i < 8; i++) {
            ByteBuffer h = out.get(i).header();
            assertEquals(Opcode.DATA_IN, out.get(i).opcode());
            assertEquals(itt, Bhs.itt(h));
            assertEquals(i, DataInPdu.dataSn(h));
            assertEquals(i * 1024, DataInPdu.bufferOffset(h));
            assertEquals(1024, Bhs.dataSegmentLength(h));
            assertEquals(i == 3 || i == 7, Bhs.finalFlag(h), "F bit on PDU " + i);
            assertEquals(i == 7, DataInPdu.hasStatus(h));
            out.get(i).data().copyTo(0, ByteBuffer.wrap(got, i * 1024, 1024));
        }
        ByteBuffer last = out.get(7).header();
        assertEquals(0, DataInPdu.status(last));
        assertEquals(0, DataInPdu.residualCount(last));
        assertFalse(DataInPdu.underflow(last));
        assertArrayEquals(content, got);
        TestInitiator.release(out);
    }

    @Test
    void outOfOrderDataInIsSentInOffsetOrder() {
        rig.device.readPiecesReversed = 3;
        int itt = ini.read(0, 6, 3072);
        List<Pdu> out = ini.drain();
        assertEquals(3, out.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i * 1024, DataInPdu.bufferOffset(out.get(i).header()));
            assertEquals(itt, Bhs.itt(out.get(i).header()));
        }
        assertTrue(DataInPdu.hasStatus(out.get(2).header()));
        TestInitiator.release(out);
    }

    @Test
    void readUnderflowAndOverflowResiduals() {
        ini.read(0, 1, 1024);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size());
        ByteBuffer h = out.get(0).header();
        assertTrue(DataInPdu.hasStatus(h));
        assertTrue(DataInPdu.underflow(h));
        assertEquals(512, DataInPdu.residualCount(h));
        TestInitiator.release(out);

        ini.read(0, 2, 512);
        out = ini.drain();
        assertEquals(1, out.size());
        h = out.get(0).header();
        assertEquals(512, Bhs.dataSegmentLength(h));
        assertTrue(DataInPdu.overflow(h));
        assertEquals(512, DataInPdu.residualCount(h));
        TestInitiator.release(out);
    }

    @Test
    void checkConditionSendsSenseInScsiResponse() {
        ini.read(1000, 1, 512);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size());
        Pdu r = out.get(0);
        assertEquals(Opcode.SCSI_RESPONSE, r.opcode());
        assertEquals(2, ScsiResponsePdu.status(r.header()));
        byte[] data = r.data().toByteArray();
        assertEquals(18, ((data[0] & 0xff) << 8) | (data[1] & 0xff));
        assertEquals(0x70, data[2] & 0xff);
        assertEquals(5, data[4]);
        assertEquals(0x21, data[14]);
        TestInitiator.release(out);
    }

    @Test
    void writeWithImmediateUnsolicitedAndSolicitedData() {
        byte[] content = TestInitiator.pattern(16 * 512, 9);
        // 1024 immediate + 1024 unsolicited = FirstBurstLength 2048; the rest by R2T.
        int itt = ini.command(TestInitiator.write10(4, 16), false, true, 8192, Arrays.copyOf(content, 1024), false, false);
        // The target solicits beyond FirstBurstLength at once, without waiting for the unsolicited part.
        List<Pdu> r2ts = ini.drain();
        // 6144 bytes left, MaxBurstLength 4096, MaxOutstandingR2T 2: two R2Ts at once.
        assertEquals(2, r2ts.size());
        ByteBuffer r0 = r2ts.get(0).header();
        ByteBuffer r1 = r2ts.get(1).header();
        assertEquals(Opcode.R2T, r2ts.get(0).opcode());
        assertEquals(0, R2tPdu.r2tSn(r0));
        assertEquals(2048, R2tPdu.bufferOffset(r0));
        assertEquals(4096, R2tPdu.desiredLength(r0));
        assertEquals(1, R2tPdu.r2tSn(r1));
        assertEquals(6144, R2tPdu.bufferOffset(r1));
        assertEquals(2048, R2tPdu.desiredLength(r1));
        int ttt0 = Bhs.ttt(r0);
        int ttt1 = Bhs.ttt(r1);
        TestInitiator.release(r2ts);
        ini.dataOut(itt, Bhs.RESERVED_TAG, 0, 1024, Arrays.copyOfRange(content, 1024, 2048), true);
        assertTrue(ini.drain().isEmpty());
        // First R2T answered in four PDUs, second in one.
        for (int i = 0; i < 4; i++) {
            int off = 2048 + i * 1024;
            ini.dataOut(itt, ttt0, i, off, Arrays.copyOfRange(content, off, off + 1024), i == 3);
        }
        assertTrue(ini.drain().isEmpty());
        ini.dataOut(itt, ttt1, 0, 6144, Arrays.copyOfRange(content, 6144, 8192), true);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size());
        ByteBuffer h = out.get(0).header();
        assertEquals(Opcode.SCSI_RESPONSE, out.get(0).opcode());
        assertEquals(0, ScsiResponsePdu.status(h));
        assertEquals(2, ScsiResponsePdu.expDataSn(h));
        assertFalse(ScsiResponsePdu.underflow(h) || ScsiResponsePdu.overflow(h));
        assertArrayEquals(content, Arrays.copyOfRange(rig.device.disk, 4 * 512, 4 * 512 + 8192));
        TestInitiator.release(out);
    }

    @Test
    void writeWithInitialR2tOnly() {
        byte[] content = TestInitiator.pattern(1024, 1);
        int itt = ini.command(TestInitiator.write10(0, 2), false, true, 1024, null, true, false);
        List<Pdu> r2t = ini.drain();
        assertEquals(1, r2t.size());
        assertEquals(0, R2tPdu.bufferOffset(r2t.get(0).header()));
        assertEquals(1024, R2tPdu.desiredLength(r2t.get(0).header()));
        int ttt = Bhs.ttt(r2t.get(0).header());
        TestInitiator.release(r2t);
        ini.dataOut(itt, ttt, 0, 0, content, true);
        List<Pdu> out = ini.drain();
        assertEquals(0, ScsiResponsePdu.status(out.get(0).header()));
        assertArrayEquals(content, Arrays.copyOf(rig.device.disk, 1024));
        TestInitiator.release(out);
    }

    @Test
    void writeUnderflowIsReported() {
        // One block written, but the initiator expects to send 10000 bytes (libiscsi Residuals).
        byte[] imm = TestInitiator.pattern(2048, 5);
        int itt = ini.command(TestInitiator.write10(0, 1), false, true, 10000, imm, true, false);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size(), "the one block came as immediate data; no R2T");
        ByteBuffer h = out.get(0).header();
        assertEquals(itt, Bhs.itt(h));
        assertEquals(0, ScsiResponsePdu.status(h));
        assertTrue(ScsiResponsePdu.underflow(h));
        assertEquals(10000 - 512, ScsiResponsePdu.residualCount(h));
        assertArrayEquals(Arrays.copyOf(imm, 512), Arrays.copyOf(rig.device.disk, 512));
        TestInitiator.release(out);
    }

    @Test
    void writeOverflowFailsWithoutWriting() {
        // One block, but the initiator will send only 200 bytes: nothing is written.
        byte[] imm = TestInitiator.pattern(200, 5);
        ini.command(TestInitiator.write10(0, 1), false, true, 200, imm, true, false);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size());
        ByteBuffer h = out.get(0).header();
        assertEquals(2, ScsiResponsePdu.status(h));
        assertTrue(ScsiResponsePdu.overflow(h));
        assertEquals(312, ScsiResponsePdu.residualCount(h));
        byte[] sense = out.get(0).data().toByteArray();
        assertEquals(5, sense[4]);
        assertEquals(0x0e, sense[14]);
        assertEquals(0x03, sense[15]);
        assertEquals(0, rig.device.disk[0]);
        TestInitiator.release(out);
    }

    @Test
    void wrongDataSnEndsTheTaskButNotTheSession() {
        int itt = ini.command(TestInitiator.write10(0, 4), false, true, 2048, null, true, false);
        List<Pdu> r2t = ini.drain();
        int ttt = Bhs.ttt(r2t.get(0).header());
        TestInitiator.release(r2t);
        ini.dataOut(itt, ttt, 0, 0, new byte[1024], false);
        ini.dataOut(itt, ttt, 27, 1024, new byte[1024], true);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size());
        ByteBuffer h = out.get(0).header();
        assertEquals(Opcode.SCSI_RESPONSE, out.get(0).opcode());
        assertEquals(2, ScsiResponsePdu.status(h));
        byte[] sense = out.get(0).data().toByteArray();
        assertEquals(0x0b, sense[4]);
        assertEquals(0x4b, sense[14]);
        TestInitiator.release(out);
        // Late Data-Out for the ended task is discarded; the session goes on.
        ini.dataOut(itt, ttt, 1, 1024, new byte[1024], true);
        assertTrue(ini.drain().isEmpty());
        assertFalse(ini.conn.closed);
        ini.read(0, 1, 512);
        out = ini.drain();
        assertTrue(DataInPdu.hasStatus(out.get(0).header()));
        TestInitiator.release(out);
    }

    @Test
    void dataDigestErrorOnDataOutRejectsAndEndsTheTask() {
        int itt = ini.command(TestInitiator.write10(0, 2), false, true, 1024, null, true, false);
        List<Pdu> r2t = ini.drain();
        int ttt = Bhs.ttt(r2t.get(0).header());
        TestInitiator.release(r2t);
        ByteBuffer h = Bhs.allocate(Opcode.DATA_OUT, false);
        Bhs.putFlags(h, 0x80);
        Bhs.putItt(h, itt);
        Bhs.putTtt(h, ttt);
        Bhs.putDataSegmentLength(h, 1024);
        Pdu bad = new Pdu(h, dev.lunar.spi.buffer.DataBuffers.allocateHeap(1024));
        bad.markDataDigestFailed();
        ini.conn.receive(bad);
        List<Pdu> out = ini.drain();
        assertEquals(2, out.size());
        assertEquals(Opcode.REJECT, out.get(0).opcode());
        assertEquals(0x02, dev.lunar.pdu.RejectPdu.reason(out.get(0).header()));
        assertEquals(Opcode.SCSI_RESPONSE, out.get(1).opcode());
        assertEquals(2, ScsiResponsePdu.status(out.get(1).header()));
        assertEquals(0x47, out.get(1).data().toByteArray()[14]);
        TestInitiator.release(out);
        assertFalse(ini.conn.closed);
    }

    @Test
    void completionsFromAnotherThreadHopToTheIoThread() {
        rig.device.hold = true;
        ini.read(0, 2, 1024);
        assertTrue(ini.drain().isEmpty());
        // Released outside the I/O thread: the task's calls queue on the connection executor.
        rig.device.releaseHeld();
        assertTrue(ini.conn.sent.isEmpty());
        ini.conn.runTasks();
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size());
        assertTrue(DataInPdu.hasStatus(out.get(0).header()));
        TestInitiator.release(out);
    }

    @Test
    void commandsGetBusyWithoutScsiCore() {
        rig.engine.setDeviceServer(null);
        ini.command(new byte[6], false, false, 0, null, true, false);
        List<Pdu> out = ini.drain();
        assertEquals(0x08, ScsiResponsePdu.status(out.get(0).header()));
        TestInitiator.release(out);
        rig.engine.setDeviceServer(rig.device);
        ini.command(new byte[6], false, false, 0, null, true, false);
        out = ini.drain();
        assertEquals(0, ScsiResponsePdu.status(out.get(0).header()));
        TestInitiator.release(out);
    }

    @Test
    void aScsiCoreRefreshedUnderACallCostsOnlyTheCommand() {
        rig.engine.setDeviceServer((target, initiatorPort, targetPort, rtpi, readOnly) -> new dev.lunar.spi.scsi.Nexus() {
            @Override
            public void execute(dev.lunar.spi.scsi.ScsiTask task) {
                throw new NoClassDefFoundError("dev/lunar/scsi/internal/sense/SenseCodes");
            }

            @Override
            public void manage(dev.lunar.spi.scsi.TmfRequest request,
                    java.util.function.Consumer<dev.lunar.spi.scsi.TmfResponse> done) {
                throw new IllegalStateException("stopping");
            }

            @Override
            public void close() {
            }
        });
        ini.command(new byte[6], false, false, 0, null, true, false);
        List<Pdu> out = ini.drain();
        assertEquals(0x08, ScsiResponsePdu.status(out.get(0).header()));
        TestInitiator.release(out);
        ByteBuffer tmf = ini.header(Opcode.TMF_REQUEST, true, 0x80 | 5);
        ini.send(tmf, null);
        out = ini.drain();
        assertEquals(Opcode.TMF_RESPONSE, out.get(0).opcode());
        assertEquals(255, dev.lunar.pdu.TmfResponsePdu.response(out.get(0).header()));
        TestInitiator.release(out);
        assertFalse(ini.conn.closed);
    }

    @Test
    void inquiryUnderflowCollapses() {
        byte[] cdb = {0x12, 0, 0, 0, (byte) 255, 0};
        ini.command(cdb, true, false, 255, null, true, false);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size());
        ByteBuffer h = out.get(0).header();
        assertEquals(36, Bhs.dataSegmentLength(h));
        assertTrue(DataInPdu.underflow(h));
        assertEquals(255 - 36, DataInPdu.residualCount(h));
        assertNull(null);
        TestInitiator.release(out);
    }
}
