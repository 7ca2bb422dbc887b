package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Flow control over the real TCP transport (DESIGN.md §3.4): an initiator logs in, queues many
 * large READs and then does not read for a while. The target fills its send queue, the transport
 * reports the connection not writable, the engine stops producing Data-In and stops reading. When
 * the initiator finally reads, every byte and every status must arrive (the pause resumes; nothing
 * stalls, nothing is lost) and the session stays usable.
 */
class LoginSlowReaderE2EIT extends LunarE2ETest {

    private static final int BHS = 48;
    private static final int COMMANDS = 40;
    private static final int BLOCKS = 2048;
    private static final int BYTES = BLOCKS * 512;

    @Test
    void aSlowReaderGetsEveryByteOnceItReads() throws IOException, InterruptedException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", lunar.iscsiPort()), 10_000);
            s.setSoTimeout(120_000);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());

            out.write(login());
            out.flush();
            ByteBuffer loginResponse = readPdu(in).header;
            assertEquals(0x23, loginResponse.get(0) & 0x3f);
            assertEquals(0, loginResponse.get(36), "login status class");
            int statSn = loginResponse.getInt(24);
            int maxCmdSn = loginResponse.getInt(32);
            assertTrue(maxCmdSn - 1 >= COMMANDS, "the window admits the whole flood: MaxCmdSN " + maxCmdSn);

            // A new I_T nexus starts with a unit attention (power on / reset): TEST UNIT READY
            // takes it before the flood, as any initiator does.
            int cmdSn = 1;
            for (int attempt = 0; ; attempt++) {
                assertTrue(attempt < 5, "TEST UNIT READY never returned GOOD");
                out.write(testUnitReady(0x900 + attempt, cmdSn++, statSn + 1));
                out.flush();
                Pdu r = readPdu(in);
                assertEquals(0x21, r.header.get(0) & 0x3f);
                statSn = r.header.getInt(24);
                if (r.header.get(3) == 0) {
                    break;
                }
            }
            for (int i = 0; i < COMMANDS; i++) {
                out.write(read10(0x1000 + i, cmdSn++, statSn + 1, i * BLOCKS));
            }
            out.flush();
            // Not reading: ~40 MiB of Data-In is more than the socket buffers and the transport's
            // queue hold, so the target has to pause. Then read it all.
            Thread.sleep(3000);

            Map<Integer, Long> bytesByTask = new HashMap<>();
            int goodStatuses = 0;
            int lastStatSn = statSn;
            while (goodStatuses < COMMANDS) {
                Pdu p = readPdu(in);
                int opcode = p.header.get(0) & 0x3f;
                int itt = p.header.getInt(16);
                if (opcode == 0x25) {
                    bytesByTask.merge(itt, (long) p.dataLength, Long::sum);
                    if ((p.header.get(1) & 0x01) != 0) {
                        assertEquals(0, p.header.get(3), "status in the last Data-In");
                        goodStatuses++;
                        lastStatSn = p.header.getInt(24);
                    }
                } else if (opcode == 0x21) {
                    assertEquals(0, p.header.get(3), "SCSI status");
                    goodStatuses++;
                    lastStatSn = p.header.getInt(24);
                } else {
                    assertTrue(opcode == 0x20 || opcode == 0x32, "unexpected opcode 0x" + Integer.toHexString(opcode));
                }
            }
            assertEquals(COMMANDS, bytesByTask.size());
            bytesByTask.forEach((itt, n) -> assertEquals(BYTES, n, "Data-In bytes of task 0x" + Integer.toHexString(itt)));

            // Still a working session: a NOP-Out is answered.
            out.write(nopOut(0x2000, cmdSn, lastStatSn + 1));
            out.flush();
            Pdu nopIn;
            do {
                nopIn = readPdu(in);
            } while ((nopIn.header.get(0) & 0x3f) != 0x20 || nopIn.header.getInt(16) != 0x2000);
        }
    }

    private record Pdu(ByteBuffer header, int dataLength) {
    }

    private static Pdu readPdu(DataInputStream in) throws IOException {
        byte[] h = new byte[BHS];
        in.readFully(h);
        ByteBuffer header = ByteBuffer.wrap(h);
        int ahs = (h[4] & 0xff) * 4;
        int data = ((h[5] & 0xff) << 16) | ((h[6] & 0xff) << 8) | (h[7] & 0xff);
        in.skipNBytes(ahs + ((data + 3) & ~3));
        return new Pdu(header, data);
    }

    private static byte[] login() {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (String kv : new String[] {"InitiatorName=iqn.2026-11.dev.lunar:slowreader", "SessionType=Normal",
                "TargetName=" + DEFAULT_TARGET, "HeaderDigest=None", "DataDigest=None",
                "MaxRecvDataSegmentLength=262144"}) {
            byte[] b = kv.getBytes(StandardCharsets.UTF_8);
            text.write(b, 0, b.length);
            text.write(0);
        }
        byte[] data = text.toByteArray();
        ByteBuffer h = ByteBuffer.allocate(BHS + ((data.length + 3) & ~3));
        h.put(0, (byte) 0x43);
        h.put(1, (byte) (0x80 | (1 << 2) | 3));
        h.put(5, (byte) (data.length >>> 16));
        h.put(6, (byte) (data.length >>> 8));
        h.put(7, (byte) data.length);
        h.put(8, (byte) 0x80);
        h.putShort(12, (short) 0x5157);
        h.putInt(16, 0x1);
        h.putInt(24, 1);
        h.position(BHS);
        h.put(data);
        return h.array();
    }

    private static byte[] read10(int itt, int cmdSn, int expStatSn, int lba) {
        ByteBuffer h = ByteBuffer.allocate(BHS);
        h.put(0, (byte) 0x01);
        h.put(1, (byte) (0x80 | 0x40 | 1));
        h.putInt(16, itt);
        h.putInt(20, BYTES);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        h.put(32, (byte) 0x28);
        h.putInt(34, lba);
        h.putShort(39, (short) BLOCKS);
        return h.array();
    }

    private static byte[] testUnitReady(int itt, int cmdSn, int expStatSn) {
        ByteBuffer h = ByteBuffer.allocate(BHS);
        h.put(0, (byte) 0x01);
        h.put(1, (byte) (0x80 | 1));
        h.putInt(16, itt);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        return h.array();
    }

    private static byte[] nopOut(int itt, int cmdSn, int expStatSn) {
        ByteBuffer h = ByteBuffer.allocate(BHS);
        h.put(0, (byte) 0x40);
        h.put(1, (byte) 0x80);
        h.putInt(16, itt);
        h.putInt(20, 0xffffffff);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        return h.array();
    }
}
