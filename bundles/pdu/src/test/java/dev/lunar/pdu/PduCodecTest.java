package dev.lunar.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class PduCodecTest {

    private static ByteBuffer scsiCommand(int flags, int edtl, byte[] cdb) {
        ByteBuffer h = Bhs.allocate(Opcode.SCSI_COMMAND, false);
        Bhs.putFlags(h, flags);
        Bhs.putItt(h, 0x1234);
        h.putInt(ScsiCommandPdu.OFFSET_EXPECTED_LENGTH, edtl);
        h.putInt(24, 7);
        h.putInt(28, 3);
        h.put(ScsiCommandPdu.OFFSET_CDB, cdb, 0, Math.min(16, cdb.length));
        return h;
    }

    @Test
    void readsScsiCommandFields() {
        byte[] cdb = {0x28, 0, 0, 0, 0, 1, 0, 0, 8, 0};
        ByteBuffer h = scsiCommand(0x80 | ScsiCommandPdu.FLAG_READ | 1, 4096, cdb);
        Bhs.putLun(h, 0x0001000000000000L);
        assertEquals(Opcode.SCSI_COMMAND, Bhs.opcode(h));
        assertTrue(Bhs.finalFlag(h));
        assertTrue(ScsiCommandPdu.read(h));
        assertFalse(ScsiCommandPdu.write(h));
        assertEquals(1, ScsiCommandPdu.attribute(h));
        assertEquals(4096, ScsiCommandPdu.expectedDataTransferLength(h));
        assertEquals(7, ScsiCommandPdu.cmdSn(h));
        assertEquals(3, ScsiCommandPdu.expStatSn(h));
        assertEquals(0x1234, Bhs.itt(h));
        assertEquals(0x0001000000000000L, Bhs.lun(h));
        ByteBuffer c = ScsiCommandPdu.cdb(h);
        assertEquals(16, c.remaining());
        assertEquals(0x28, c.get(0));
        assertEquals(8, c.get(8));
        assertNull(PduValidator.validate(new Pdu(h, null), 8192));
    }

    @Test
    void extendedCdbAndBidiAhsAreJoined() {
        byte[] cdb = new byte[16];
        cdb[0] = 0x7f;
        ByteBuffer bhs = scsiCommand(0x80 | 0x60, 512, cdb);
        // AHS 1: 16 more CDB bytes (AHSLength 17 incl. reserved byte) padded to 20; AHS 2: 8 bytes.
        ByteBuffer h = ByteBuffer.allocate(48 + 20 + 8);
        h.put(0, bhs, 0, 48);
        Bhs.putTotalAhsLength(h, 7);
        h.putShort(48, (short) 17).put(50, (byte) 1);
        for (int i = 0; i < 16; i++) {
            h.put(52 + i, (byte) (100 + i));
        }
        h.putShort(68, (short) 5).put(70, (byte) 2).putInt(72, 9000);
        assertNull(Ahs.check(h));
        ByteBuffer c = ScsiCommandPdu.cdb(h);
        assertEquals(32, c.remaining());
        assertEquals(0x7f, c.get(0));
        assertEquals(100, c.get(16));
        assertEquals(115, c.get(31));
        assertEquals(9000, ScsiCommandPdu.bidirectionalReadLength(h));
        assertNull(PduValidator.validate(new Pdu(h, null), 8192));
    }

    @Test
    void buildsDataInWithStatusCollapseAndResidual() {
        DataBuffer data = DataBuffers.wrap(new byte[100]);
        Pdu p = new DataInPdu().itt(5).dataSn(2).bufferOffset(8192).status(0).statSn(9).expCmdSn(10)
                .maxCmdSn(40).residual(false, 412).toPdu(data);
        ByteBuffer h = p.header();
        assertEquals(Opcode.DATA_IN, p.opcode());
        assertEquals(100, Bhs.dataSegmentLength(h));
        assertTrue(Bhs.finalFlag(h));
        assertTrue(DataInPdu.hasStatus(h));
        assertTrue(DataInPdu.underflow(h));
        assertFalse(DataInPdu.overflow(h));
        assertEquals(412, DataInPdu.residualCount(h));
        assertEquals(2, DataInPdu.dataSn(h));
        assertEquals(8192, DataInPdu.bufferOffset(h));
        assertEquals(9, Bhs.sn(h));
        assertEquals(10, Bhs.expSn(h));
        assertEquals(40, h.getInt(32));
        assertEquals(Bhs.RESERVED_TAG, Bhs.ttt(h));
        p.release();
    }

    @Test
    void buildsLoginResponseAndReadsLoginRequest() {
        Pdu p = new LoginResponsePdu().transit(true).stages(1, 3).versions(0, 0).isid(0x23d000000001L).tsih(0x12)
                .itt(1).status(2, 1).toPdu();
        ByteBuffer h = p.header();
        assertEquals(0x80 | 1 << 2 | 3, Bhs.flags(h));
        assertEquals(0x23d000000001L, LoginRequestPdu.isid(h));
        assertEquals(0x12, LoginResponsePdu.tsih(h));
        assertEquals(2, LoginResponsePdu.statusClass(h));
        assertEquals(1, LoginResponsePdu.statusDetail(h));
        assertEquals(1, LoginRequestPdu.currentStage(h));
        assertEquals(3, LoginRequestPdu.nextStage(h));
    }

    @Test
    void rejectCarriesTheRejectedHeader() {
        ByteBuffer bad = Bhs.allocate(0x1c, false);
        Pdu r = new RejectPdu().reason(RejectPdu.COMMAND_NOT_SUPPORTED).statSn(4).toPdu(bad);
        assertEquals(RejectPdu.COMMAND_NOT_SUPPORTED, RejectPdu.reason(r.header()));
        assertEquals(48, Bhs.dataSegmentLength(r.header()));
        assertEquals(Bhs.RESERVED_TAG, Bhs.itt(r.header()));
        assertEquals(0x1c, r.data().toByteArray()[0]);
        r.release();
    }

    @Test
    void validatorNamesTheRejectReason() {
        assertEquals(RejectPdu.COMMAND_NOT_SUPPORTED,
                PduValidator.validate(new Pdu(Bhs.allocate(0x1d, false), null), 8192).rejectReason());
        assertEquals(RejectPdu.PROTOCOL_ERROR,
                PduValidator.validate(new Pdu(Bhs.allocate(Opcode.NOP_IN, false), null), 8192).rejectReason());
        // DataSegmentLength disagrees with the data delivered
        ByteBuffer h = Bhs.allocate(Opcode.NOP_OUT, true);
        Bhs.putFlags(h, 0x80);
        Bhs.putDataSegmentLength(h, 0xffffff);
        assertEquals(RejectPdu.PROTOCOL_ERROR, PduValidator.validate(new Pdu(h, null), 8192).rejectReason());
        // data longer than we accept
        DataBuffer big = DataBuffers.allocateHeap(9000);
        ByteBuffer h2 = Bhs.allocate(Opcode.NOP_OUT, true);
        Bhs.putDataSegmentLength(h2, 9000);
        Pdu p = new Pdu(h2, big);
        assertNotNull(PduValidator.validate(p, 8192));
        p.release();
        // immediate data without W
        DataBuffer d = DataBuffers.allocateHeap(512);
        ByteBuffer h3 = scsiCommand(0x80 | ScsiCommandPdu.FLAG_READ, 512, new byte[] {0x28});
        Bhs.putDataSegmentLength(h3, 512);
        Pdu q = new Pdu(h3, d);
        assertEquals(RejectPdu.INVALID_PDU_FIELD, PduValidator.validate(q, 8192).rejectReason());
        q.release();
        // Login without the I bit
        ByteBuffer login = Bhs.allocate(Opcode.LOGIN_REQUEST, false);
        assertEquals(RejectPdu.PROTOCOL_ERROR, PduValidator.validate(new Pdu(login, null), 8192).rejectReason());
    }

    @Test
    void ahsOverrunsAreReportedNotThrown() {
        ByteBuffer h = ByteBuffer.allocate(48 + 8);
        h.put(0, (byte) Opcode.SCSI_COMMAND);
        Bhs.putFlags(h, 0x80);
        Bhs.putTotalAhsLength(h, 2);
        h.putShort(48, (short) 300).put(50, (byte) 1);
        assertNotNull(Ahs.check(h));
        assertEquals(-1, Ahs.find(h, 1));
        assertEquals(RejectPdu.PROTOCOL_ERROR, PduValidator.validate(new Pdu(h, null), 8192).rejectReason());
        // TotalAHSLength larger than the header delivered
        ByteBuffer t = Bhs.allocate(Opcode.SCSI_COMMAND, false);
        Bhs.putTotalAhsLength(t, 255);
        assertNotNull(PduValidator.validate(new Pdu(t, null), 8192));
        assertEquals(16, ScsiCommandPdu.cdb(t).remaining());
        assertEquals(-1, ScsiCommandPdu.bidirectionalReadLength(t));
    }

    @Test
    void randomHeadersNeverThrow() {
        long before = BufferLeakDetector.live();
        Random rnd = new Random(0x5eed);
        int valid = 0;
        for (int i = 0; i < 20000; i++) {
            int ahsWords = rnd.nextInt(4);
            ByteBuffer h = ByteBuffer.allocate(48 + ahsWords * 4);
            rnd.nextBytes(h.array());
            if (rnd.nextBoolean()) {
                // Mostly-plausible: a real opcode and a consistent TotalAHSLength.
                h.put(0, (byte) (rnd.nextInt(0x11) | (rnd.nextBoolean() ? 0x40 : 0)));
                Bhs.putTotalAhsLength(h, ahsWords);
            }
            int dataLen = rnd.nextInt(3) == 0 ? rnd.nextInt(64) : 0;
            DataBuffer data = dataLen == 0 ? null : DataBuffers.allocateHeap(dataLen);
            if (rnd.nextBoolean()) {
                Bhs.putDataSegmentLength(h, dataLen);
            }
            Pdu p = new Pdu(h, data);
            PduViolation v = PduValidator.validate(p, 8192);
            if (v == null) {
                valid++;
                // Every view must be safe on anything the validator accepts.
                ScsiCommandPdu.cdb(h);
                ScsiCommandPdu.bidirectionalReadLength(h);
                Bhs.describe(h);
            } else {
                assertTrue(v.rejectReason() > 0 && v.message() != null);
            }
            p.release();
        }
        assertTrue(valid > 0, "some random PDUs should pass");
        assertEquals(before, BufferLeakDetector.live());
    }

    @Test
    void serialArithmeticWraps() {
        assertTrue(SerialNumber.lessThan(0xfffffffe, 1));
        assertFalse(SerialNumber.lessThan(1, 0xfffffffe));
        assertTrue(SerialNumber.inWindow(0, 0xfffffff0, 5));
        assertFalse(SerialNumber.inWindow(6, 0xfffffff0, 5));
        assertFalse(SerialNumber.lessThan(0, 0x80000000));
        assertFalse(SerialNumber.lessThan(0x80000000, 0));
    }

    @Test
    void crc32cMatchesRfc3720Vectors() {
        // RFC 3720 B.4: 32 bytes of zeros -> 0x8a9136aa; 32 bytes of 0xff -> 0x62a8ab43.
        assertEquals(0x8a9136aa, Crc32c.data(DataBuffers.wrap(new byte[32])));
        byte[] ff = new byte[32];
        java.util.Arrays.fill(ff, (byte) 0xff);
        assertEquals(0x62a8ab43, Crc32c.data(DataBuffers.wrap(ff)));
        // Split across segments and padded: same value as one contiguous buffer with zero padding.
        byte[] text = "iSCSI digest over a split buffer".substring(0, 31).getBytes(StandardCharsets.US_ASCII);
        DataBuffer split = DataBuffers.wrap(null, ByteBuffer.wrap(text, 0, 10), ByteBuffer.wrap(text, 10, 21));
        byte[] padded = java.util.Arrays.copyOf(text, 32);
        CRC32C ref = new CRC32C();
        ref.update(padded);
        assertEquals((int) ref.getValue(), Crc32c.data(split));
        ByteBuffer wire = ByteBuffer.allocate(4);
        Crc32c.putWire(wire, 0x8a9136aa);
        assertArrayEquals(new byte[] {(byte) 0xaa, 0x36, (byte) 0x91, (byte) 0x8a}, wire.array());
        assertEquals(0x8a9136aa, Crc32c.getWire(wire.flip()));
    }

    @Test
    void targetBuildersPutFieldsWhereRfc7143SaysTheyAre() {
        ByteBuffer r2t = new R2tPdu().itt(1).lun(0x0002000000000000L).ttt(9).r2tSn(3).bufferOffset(4096)
                .desiredLength(8192).statSn(5).expCmdSn(6).maxCmdSn(7).toPdu().header();
        assertEquals(Opcode.R2T, Bhs.opcode(r2t));
        assertTrue(Bhs.finalFlag(r2t));
        assertEquals(0x0002000000000000L, Bhs.lun(r2t));
        assertEquals(9, Bhs.ttt(r2t));
        assertEquals(3, R2tPdu.r2tSn(r2t));
        assertEquals(4096, R2tPdu.bufferOffset(r2t));
        assertEquals(8192, R2tPdu.desiredLength(r2t));
        assertEquals(7, r2t.getInt(32));

        ByteBuffer tmf = new TmfResponsePdu().itt(2).response(TmfResponsePdu.TASK_DOES_NOT_EXIST).toPdu().header();
        assertEquals(0x80, Bhs.flags(tmf));
        assertEquals(1, TmfResponsePdu.response(tmf));

        ByteBuffer logout = new LogoutResponsePdu().itt(3).response(LogoutResponsePdu.CID_NOT_FOUND).time2Wait(2)
                .time2Retain(20).toPdu().header();
        assertEquals(1, LogoutResponsePdu.response(logout));
        assertEquals(2, Bhs.u16(logout, 40));
        assertEquals(20, Bhs.u16(logout, 42));

        ByteBuffer async = new AsyncMessagePdu().event(AsyncMessagePdu.EVENT_LOGOUT_REQUESTED).parameters(0, 0, 10)
                .toPdu().header();
        assertEquals(Bhs.RESERVED_TAG, Bhs.itt(async));
        assertEquals(1, AsyncMessagePdu.event(async));
        assertEquals(10, Bhs.u16(async, 42));

        ByteBuffer text = new TextResponsePdu().itt(4).finalFlag(false).continues(true).ttt(11).toPdu().header();
        assertFalse(Bhs.finalFlag(text));
        assertTrue(TextRequestPdu.continues(text));
        assertEquals(11, Bhs.ttt(text));

        ByteBuffer nop = new NopInPdu().itt(Bhs.RESERVED_TAG).ttt(12).toPdu().header();
        assertEquals(Opcode.NOP_IN, Bhs.opcode(nop));
        assertEquals(12, Bhs.ttt(nop));

        ByteBuffer resp = new ScsiResponsePdu().itt(5).status(2).residual(true, 100).bidiResidual(false, 7)
                .expDataSn(4).toPdu().header();
        assertTrue(ScsiResponsePdu.overflow(resp));
        assertFalse(ScsiResponsePdu.underflow(resp));
        assertEquals(100, ScsiResponsePdu.residualCount(resp));
        assertEquals(ScsiResponsePdu.FLAG_BIDI_UNDERFLOW, Bhs.flags(resp) & 0x18);
        assertEquals(4, ScsiResponsePdu.expDataSn(resp));
    }

    @Test
    void initiatorViewsReadTheirFields() {
        ByteBuffer tmf = Bhs.allocate(Opcode.TMF_REQUEST, true);
        Bhs.putFlags(tmf, 0x80 | 1);
        tmf.putInt(20, 0x77).putInt(24, 9).putInt(32, 8).putInt(36, 2);
        assertEquals(1, TmfRequestPdu.function(tmf));
        assertEquals(0x77, TmfRequestPdu.referencedTaskTag(tmf));
        assertEquals(9, TmfRequestPdu.cmdSn(tmf));
        assertEquals(8, TmfRequestPdu.refCmdSn(tmf));
        assertEquals(2, TmfRequestPdu.expDataSn(tmf));

        ByteBuffer logout = Bhs.allocate(Opcode.LOGOUT_REQUEST, true);
        Bhs.putFlags(logout, 0x80 | 2);
        Bhs.putU16(logout, 20, 5);
        assertEquals(2, LogoutRequestPdu.reasonCode(logout));
        assertEquals(5, LogoutRequestPdu.cid(logout));
        Bhs.putFlags(logout, 0x80 | 7);
        assertEquals(RejectPdu.INVALID_PDU_FIELD, PduValidator.validate(new Pdu(logout, null), 8192).rejectReason());

        ByteBuffer out = Bhs.allocate(Opcode.DATA_OUT, false);
        out.putInt(36, 4).putInt(40, 1024);
        assertEquals(4, DataOutPdu.dataSn(out));
        assertEquals(1024, DataOutPdu.bufferOffset(out));

        ByteBuffer snack = Bhs.allocate(Opcode.SNACK, false);
        Bhs.putFlags(snack, 0x80 | 1);
        snack.putInt(40, 3).putInt(44, 2);
        assertEquals(1, SnackPdu.type(snack));
        assertEquals(3, SnackPdu.begRun(snack));
        assertEquals(2, SnackPdu.runLength(snack));

        ByteBuffer text = Bhs.allocate(Opcode.TEXT_REQUEST, false);
        Bhs.putFlags(text, 0x80 | TextRequestPdu.FLAG_CONTINUE);
        assertEquals(RejectPdu.PROTOCOL_ERROR, PduValidator.validate(new Pdu(text, null), 8192).rejectReason());
        assertEquals("Text Request", Opcode.name(Opcode.TEXT_REQUEST));
        assertEquals("opcode 0x1c", Opcode.name(0x1c));
    }
}
