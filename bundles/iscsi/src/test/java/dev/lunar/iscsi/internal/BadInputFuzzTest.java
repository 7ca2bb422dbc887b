package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.ScsiCommandPdu;
import dev.lunar.pdu.ScsiResponsePdu;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Seeded random PDUs into the engine, in the login phase and in full feature phase (issue 3 "Bad
 * input", DESIGN.md §3.7). The transport guarantees framing (header length, data length), so the
 * fuzz varies everything above it: opcodes, flags, tags, sequence numbers, CDBs, offsets, text.
 * Every case must end in an answer, a Reject, a login failure or a closed connection: never an
 * internal error (the engine counts those), never a leaked buffer; and the engine still serves a
 * well-formed session afterwards.
 */
class BadInputFuzzTest {

    private static final int[] INITIATOR_OPCODES = {
        Opcode.NOP_OUT, Opcode.SCSI_COMMAND, Opcode.TMF_REQUEST, Opcode.LOGIN_REQUEST, Opcode.TEXT_REQUEST,
        Opcode.DATA_OUT, Opcode.LOGOUT_REQUEST, Opcode.SNACK};
    private static final int[] TAGS = {0x100, 0x101, 0x102, 0x103, 0x104, 0x105, Bhs.RESERVED_TAG, 0, 1, 2};

    private long liveBefore;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
    }

    @AfterEach
    void noLeaks() {
        assertEquals(liveBefore, BufferLeakDetector.live(), () -> "leaked buffers: " + BufferLeakDetector.liveOrigins());
    }

    @Test
    void fullFeaturePhaseSurvivesRandomPdus() {
        int delivered = 0;
        for (int seed = 0; seed < 30; seed++) {
            TestInitiator.Rig rig = new TestInitiator.Rig(EngineSettings.standard().withQueueDepth(8));
            TestInitiator ini = rig.connect().loginNormal();
            IscsiConnection engineSide = (IscsiConnection) ini.conn.listener();
            Random random = new Random(seed);
            for (int i = 0; i < 300 && !ini.conn.closed; i++) {
                ini.conn.receive(randomPdu(random, ini));
                ini.conn.runTasks();
                ini.conn.releaseSent();
                delivered++;
            }
            assertEquals(0, engineSide.internalErrors, "seed " + seed + " caused an internal error");
            ini.conn.close(false);
            ini.conn.releaseSent();
            assertHealthy(rig);
        }
        // Most random PDUs must get past the first check, or the fuzz tests nothing deep.
        assertTrue(delivered > 1000, "only " + delivered + " PDUs were delivered before connections closed");
    }

    @Test
    void loginPhaseSurvivesRandomPdus() {
        for (int seed = 100; seed < 160; seed++) {
            TestInitiator.Rig rig = new TestInitiator.Rig();
            TestInitiator ini = rig.connect();
            IscsiConnection engineSide = (IscsiConnection) ini.conn.listener();
            Random random = new Random(seed);
            for (int i = 0; i < 20 && !ini.conn.closed; i++) {
                ini.conn.receive(randomPdu(random, ini));
                ini.conn.releaseSent();
            }
            assertEquals(0, engineSide.internalErrors, "seed " + seed + " caused an internal error");
            ini.conn.close(false);
            ini.conn.releaseSent();
            assertHealthy(rig);
        }
    }

    /** A well-formed session on a new connection still logs in and completes a command. */
    private static void assertHealthy(TestInitiator.Rig rig) {
        TestInitiator ini = rig.connect().loginNormal();
        ini.command(new byte[6], false, false, 0, null, true, false);
        List<Pdu> out = ini.drain();
        assertEquals(1, out.size());
        assertEquals(Opcode.SCSI_RESPONSE, out.get(0).opcode());
        assertEquals(0, ScsiResponsePdu.status(out.get(0).header()));
        TestInitiator.release(out);
        ini.conn.close(false);
        ini.conn.releaseSent();
        assertTrue(ini.conn.closed);
    }

    private static Pdu randomPdu(Random r, TestInitiator ini) {
        ByteBuffer h = ByteBuffer.allocate(48);
        byte[] noise = new byte[48];
        r.nextBytes(noise);
        h.put(0, noise);
        int opcode = r.nextInt(10) == 0 ? r.nextInt(64) : INITIATOR_OPCODES[r.nextInt(INITIATOR_OPCODES.length)];
        h.put(0, (byte) ((r.nextBoolean() ? 0x40 : 0) | opcode));
        h.put(4, (byte) 0);
        Bhs.putDataSegmentLength(h, 0);
        if (r.nextInt(3) > 0) {
            Bhs.putLun(h, 0);
        }
        Bhs.putItt(h, TAGS[r.nextInt(TAGS.length)]);
        if (r.nextBoolean()) {
            Bhs.putTtt(h, TAGS[r.nextInt(TAGS.length)]);
        }
        if (r.nextInt(4) > 0) {
            // Near the window, where sequence numbers do something.
            h.putInt(24, ini.cmdSn + r.nextInt(9) - 3);
            h.putInt(28, ini.expStatSn + r.nextInt(5) - 2);
        }
        byte[] data = null;
        if (opcode == Opcode.SCSI_COMMAND && r.nextInt(3) > 0) {
            byte[] cdb = r.nextBoolean() ? TestInitiator.read10(r.nextInt(70), r.nextInt(20))
                    : TestInitiator.write10(r.nextInt(70), r.nextInt(20));
            h.put(ScsiCommandPdu.OFFSET_CDB, new byte[16]);
            h.put(ScsiCommandPdu.OFFSET_CDB, cdb);
            h.putInt(ScsiCommandPdu.OFFSET_EXPECTED_LENGTH, r.nextInt(3) == 0 ? r.nextInt() : r.nextInt(10_240));
        }
        int kind = r.nextInt(4);
        if (kind == 1) {
            data = new byte[r.nextInt(1500)];
            r.nextBytes(data);
        } else if (kind == 2) {
            String[] keys = {"InitiatorName=iqn.2026-01.dev.lunar:fuzz", "SessionType=Normal",
                "TargetName=" + TestInitiator.TARGET, "SendTargets=All", "MaxBurstLength=" + r.nextInt(),
                "AuthMethod=CHAP,None", "CHAP_A=5", "CHAP_N=x", "CHAP_R=0x" + Long.toHexString(r.nextLong()),
                "HeaderDigest=CRC32C,None", "X-Unknown=" + r.nextInt(), "=", "NoEquals", "InitialR2T=Maybe"};
            StringBuilder text = new StringBuilder();
            for (int k = r.nextInt(6); k >= 0; k--) {
                text.append(keys[r.nextInt(keys.length)]).append('\0');
            }
            data = text.toString().getBytes(StandardCharsets.UTF_8);
        }
        return TestInitiator.pdu(h, data);
    }
}
