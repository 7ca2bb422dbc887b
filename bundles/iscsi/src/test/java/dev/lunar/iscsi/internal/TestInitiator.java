package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.iscsi.internal.login.TargetConfig;
import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.DataOutPdu;
import dev.lunar.pdu.LoginRequestPdu;
import dev.lunar.pdu.LoginResponsePdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.ScsiCommandPdu;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.TransportLimits;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/** A scripted initiator over a {@link FakeConnection}, and the engine it talks to. */
final class TestInitiator {

    static final String TARGET = "iqn.2026-01.dev.lunar:disk0";
    static final String INITIATOR = "iqn.2026-01.dev.lunar:initiator";

    /** The engine, its fake SCSI core and a manual clock. */
    static final class Rig {
        final RamDevice device = new RamDevice();
        final long[] clock = {1_000_000_000L};
        final IscsiEngine engine;
        final PortalBinding portal;
        final ConnectionHandler handler;

        Rig(EngineSettings settings) {
            engine = new IscsiEngine(settings, new SecureRandom(), () -> clock[0]);
            engine.setDeviceServer(device);
            engine.putTarget("disk0", TargetConfig.of(TARGET));
            portal = new PortalBinding("local", new InetSocketAddress("127.0.0.1", 3260), 1,
                    new TransportLimits(65536, 65536, 1 << 20, false, false));
            handler = engine.handler(portal);
        }

        Rig() {
            this(EngineSettings.standard());
        }

        TestInitiator connect() {
            FakeConnection fc = new FakeConnection(new InetSocketAddress("127.0.0.1", 3260));
            fc.attach(handler.accepted(fc));
            return new TestInitiator(fc);
        }
    }

    final FakeConnection conn;
    long isid = 0x23d000000001L;
    int cmdSn = 1;
    int expStatSn;
    int nextItt = 0x100;
    int tsih;

    TestInitiator(FakeConnection conn) {
        this.conn = conn;
    }

    static byte[] text(String... pairs) {
        StringBuilder b = new StringBuilder();
        for (String p : pairs) {
            b.append(p).append('\0');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String string(Pdu p) {
        return p.data() == null ? "" : new String(p.data().toByteArray(), StandardCharsets.UTF_8);
    }

    static Pdu pdu(ByteBuffer h, byte[] data) {
        if (data != null && data.length > 0) {
            Bhs.putDataSegmentLength(h, data.length);
            return new Pdu(h, DataBuffers.wrap(data));
        }
        return new Pdu(h, null);
    }

    /** One Login Request going straight from operational negotiation to full feature phase. */
    Pdu login(String... keys) {
        ByteBuffer h = Bhs.allocate(Opcode.LOGIN_REQUEST, true);
        Bhs.putFlags(h, LoginRequestPdu.FLAG_TRANSIT | 1 << 2 | 3);
        for (int i = 0; i < 6; i++) {
            h.put(8 + i, (byte) (isid >>> (40 - 8 * i)));
        }
        Bhs.putU16(h, LoginRequestPdu.OFFSET_TSIH, tsih);
        Bhs.putItt(h, nextItt++);
        Bhs.putU16(h, LoginRequestPdu.OFFSET_CID, 1);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        conn.receive(pdu(h, text(keys)));
        Pdu r = conn.next();
        assertNotNull(r, "no Login Response");
        expStatSn = Bhs.sn(r.header()) + 1;
        return r;
    }

    static String[] normalKeys(String... extra) {
        List<String> keys = new ArrayList<>(List.of("InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "SessionType=Normal", "HeaderDigest=None", "DataDigest=None", "MaxRecvDataSegmentLength=1024",
                "MaxBurstLength=4096", "FirstBurstLength=2048", "InitialR2T=No", "ImmediateData=Yes",
                "MaxOutstandingR2T=2", "ErrorRecoveryLevel=0", "MaxConnections=1", "DefaultTime2Wait=0",
                "DefaultTime2Retain=0", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes"));
        keys.addAll(List.of(extra));
        return keys.toArray(new String[0]);
    }

    /** Logs in to the test target and asserts success. */
    TestInitiator loginNormal(String... extra) {
        Pdu r = login(normalKeys(extra));
        ByteBuffer h = r.header();
        assertEquals(Opcode.LOGIN_RESPONSE, r.opcode());
        assertEquals(0, LoginResponsePdu.statusClass(h), "login status " + LoginResponsePdu.statusClass(h) + "/"
                + LoginResponsePdu.statusDetail(h) + " " + string(r));
        assertTrue(LoginRequestPdu.transit(h));
        assertEquals(3, LoginRequestPdu.nextStage(h));
        tsih = LoginResponsePdu.tsih(h);
        assertTrue(tsih != 0);
        r.release();
        return this;
    }

    TestInitiator loginDiscovery(String... extra) {
        List<String> keys = new ArrayList<>(List.of("InitiatorName=" + INITIATOR, "SessionType=Discovery",
                "HeaderDigest=None", "DataDigest=None", "MaxRecvDataSegmentLength=512"));
        keys.addAll(List.of(extra));
        Pdu r = login(keys.toArray(new String[0]));
        assertEquals(0, LoginResponsePdu.statusClass(r.header()), string(r));
        r.release();
        return this;
    }

    static byte[] read10(int lba, int blocks) {
        return new byte[] {0x28, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba, 0,
                (byte) (blocks >>> 8), (byte) blocks, 0};
    }

    static byte[] write10(int lba, int blocks) {
        byte[] c = read10(lba, blocks);
        c[0] = 0x2a;
        return c;
    }

    /** Sends a SCSI Command; returns its ITT. CmdSN advances unless immediate. */
    int command(byte[] cdb, boolean read, boolean write, int edtl, byte[] immediateData, boolean fin, boolean immediate) {
        return commandWithSn(cdb, read, write, edtl, immediateData, fin, immediate, immediate ? cmdSn : cmdSn++);
    }

    int commandWithSn(byte[] cdb, boolean read, boolean write, int edtl, byte[] immediateData, boolean fin,
            boolean immediate, int sn) {
        int itt = nextItt++;
        ByteBuffer h = Bhs.allocate(Opcode.SCSI_COMMAND, immediate);
        Bhs.putFlags(h, (fin ? 0x80 : 0) | (read ? ScsiCommandPdu.FLAG_READ : 0) | (write ? ScsiCommandPdu.FLAG_WRITE : 0) | 1);
        Bhs.putItt(h, itt);
        h.putInt(ScsiCommandPdu.OFFSET_EXPECTED_LENGTH, edtl);
        h.putInt(24, sn);
        h.putInt(28, expStatSn);
        h.put(ScsiCommandPdu.OFFSET_CDB, cdb);
        conn.receive(pdu(h, immediateData));
        return itt;
    }

    int read(int lba, int blocks, int edtl) {
        return command(read10(lba, blocks), true, false, edtl, null, true, false);
    }

    void dataOut(int itt, int ttt, int dataSn, int offset, byte[] data, boolean fin) {
        ByteBuffer h = Bhs.allocate(Opcode.DATA_OUT, false);
        Bhs.putFlags(h, fin ? 0x80 : 0);
        Bhs.putItt(h, itt);
        Bhs.putTtt(h, ttt);
        h.putInt(28, expStatSn);
        h.putInt(DataOutPdu.OFFSET_DATA_SN, dataSn);
        h.putInt(DataOutPdu.OFFSET_BUFFER_OFFSET, offset);
        conn.receive(pdu(h, data));
    }

    /** A NOP-Out; immediate, so CmdSN does not advance. */
    int nopOut(int itt, int ttt, byte[] data) {
        ByteBuffer h = Bhs.allocate(Opcode.NOP_OUT, true);
        Bhs.putFlags(h, 0x80);
        Bhs.putItt(h, itt);
        Bhs.putTtt(h, ttt);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        conn.receive(pdu(h, data));
        return itt;
    }

    /** A request PDU of {@code opcode} with the usual fields; the caller adjusts the header. */
    ByteBuffer header(int opcode, boolean immediate, int flags) {
        ByteBuffer h = Bhs.allocate(opcode, immediate);
        Bhs.putFlags(h, flags);
        Bhs.putItt(h, nextItt++);
        Bhs.putTtt(h, Bhs.RESERVED_TAG);
        h.putInt(24, immediate ? cmdSn : cmdSn++);
        h.putInt(28, expStatSn);
        return h;
    }

    void send(ByteBuffer h, byte[] data) {
        conn.receive(pdu(h, data));
    }

    /** Everything the target sent so far, in order; the caller releases them. */
    List<Pdu> drain() {
        List<Pdu> out = new ArrayList<>();
        Pdu p;
        while ((p = conn.next()) != null) {
            out.add(p);
            int op = p.opcode();
            boolean status = op == Opcode.SCSI_RESPONSE || op == Opcode.TMF_RESPONSE || op == Opcode.TEXT_RESPONSE
                    || op == Opcode.LOGOUT_RESPONSE || op == Opcode.REJECT || op == Opcode.ASYNC_MESSAGE
                    || (op == Opcode.NOP_IN && Bhs.itt(p.header()) != Bhs.RESERVED_TAG)
                    || (op == Opcode.DATA_IN && (Bhs.flags(p.header()) & 1) != 0);
            if (status) {
                expStatSn = Bhs.sn(p.header()) + 1;
            }
        }
        return out;
    }

    static void release(List<Pdu> pdus) {
        pdus.forEach(Pdu::release);
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }
}
