package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 5, ALUA port groups: the default portal (tpgt 1, active/optimized by default) and a
 * second loopback portal {@code tpgt = 2, aluaState = standby}. Through either, REPORT TARGET PORT
 * GROUPS (SPC-4 §6.36) lists both groups with their states and ports; through the standby one
 * TEST UNIT READY gets NOT READY 04/0B while INQUIRY runs (SPC-4 §5.16.2.4.4); editing the
 * portal's file to active-non-optimized gives that session ASYMMETRIC ACCESS STATE CHANGED and
 * then GOOD.
 *
 * <p>No Debian tool sends REPORT TARGET PORT GROUPS ad hoc (sg_rtpg is not installed, libiscsi's
 * iscsi-inq cannot), so the initiator is raw PDUs on a socket, as in TransportReturnE2EIT.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AluaE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:alua";
    private static final String INITIATOR = "iqn.2026-11.dev.lunar:alua-initiator";
    private static final String PORTAL_FILE = "dev.lunar.portal-alua2.cfg";
    private static final int GOOD = 0x00;
    private static final int CHECK_CONDITION = 0x02;
    private static final byte[] TUR = {0, 0, 0, 0, 0, 0};
    private static final byte[] RTPG = {(byte) 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    private static final byte[] INQUIRY = {0x12, 0, 0, 0, 96, 0};

    private int standbyPort;

    @BeforeAll
    void addLunAndStandbyPortal() throws IOException {
        LunConfigs.addTarget(lunar, "alua", IQN);
        LunConfigs.addLun(lunar, "alua-0", IQN, 0, "ramdisk", Map.of("size", Integer.toString(4 << 20)));
        LunConfigs.awaitLun(lunar, lunar.iscsiUrl("/" + IQN + "/0"));
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            standbyPort = free.getLocalPort();
        }
        writePortal("standby");
        for (int i = 0; i < 120 && !portOpen(standbyPort); i++) {
            sleep(500);
        }
        assertTrue(portOpen(standbyPort), "the second portal never listened\n" + lunar.diagnostics());
    }

    @Test
    @Order(1)
    void rtpgListsBothGroupsAndTheStandbyPathRefusesMediumCommands() throws IOException {
        try (RawInitiator active = RawInitiator.login(lunar.iscsiPort(), 0x2001)) {
            active.clearUnitAttentions();
            byte[] groups = awaitGroupState(active, 2, 0x2);
            assertEquals(4 + 2 * 12, groups.length, "two descriptors of one port each");
            assertEquals(0x0, groups[4] & 0xff, "group 1 active/optimized, PREF clear");
            assertEquals(0x0f, groups[5] & 0xff, "AO/AN/S/U supported");
            assertEquals(1, ByteBuffer.wrap(groups).getShort(6));
            assertEquals(1, ByteBuffer.wrap(groups).getShort(14), "relative target port 1");
            assertEquals(2, ByteBuffer.wrap(groups).getShort(18));
            assertEquals(2, ByteBuffer.wrap(groups).getShort(26), "relative target port 2");
            assertEquals(GOOD, active.command(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 4096).status(),
                    "READ through the active/optimized group");
        }
        try (RawInitiator standby = RawInitiator.login(standbyPort, 0x2002)) {
            Reply r = standby.afterUnitAttentions(TUR, 0);
            assertEquals(CHECK_CONDITION, r.status());
            assertEquals("02/04/0b", r.sense(), "TEST UNIT READY through a standby group");
            assertEquals(GOOD, standby.command(INQUIRY, 96).status(), "INQUIRY through a standby group");
            Reply groups = standby.command(RTPG, 256);
            assertEquals(GOOD, groups.status(), "REPORT TARGET PORT GROUPS through a standby group");
            assertEquals(0x2, groups.data()[16] & 0x0f);
        }
    }

    @Test
    @Order(2)
    void aLiveStateChangeRaisesTheUnitAttentionThroughThatGroup() throws IOException {
        try (RawInitiator path = RawInitiator.login(standbyPort, 0x2003)) {
            assertEquals("02/04/0b", path.afterUnitAttentions(TUR, 0).sense(), "still standby");
            writePortal("active-non-optimized");
            boolean changed = false;
            Reply r = null;
            for (int i = 0; i < 120; i++) {
                r = path.command(TUR, 0);
                if (r.status() == GOOD) {
                    break;
                }
                changed |= "06/2a/06".equals(r.sense());
                sleep(250);
            }
            assertEquals(GOOD, r.status(), "active/non-optimized runs TEST UNIT READY: " + r.sense());
            assertTrue(changed, "ASYMMETRIC ACCESS STATE CHANGED came before GOOD");
            Reply groups = path.command(RTPG, 256);
            assertEquals(0x1, groups.data()[16] & 0x0f, "group 2 active/non-optimized");
        }
    }

    /** RTPG until group {@code tpgt} (second descriptor) is listed in {@code state}: Config Admin is asynchronous. */
    private byte[] awaitGroupState(RawInitiator initiator, int tpgt, int state) throws IOException {
        byte[] data = new byte[0];
        for (int i = 0; i < 120; i++) {
            Reply r = initiator.command(RTPG, 256);
            assertEquals(GOOD, r.status(), "REPORT TARGET PORT GROUPS " + r.sense());
            data = r.data();
            if (data.length >= 28 && ByteBuffer.wrap(data).getShort(18) == tpgt && (data[16] & 0x0f) == state) {
                return data;
            }
            sleep(250);
        }
        throw new AssertionError("group " + tpgt + " never listed in state " + state + "\n" + lunar.diagnostics());
    }

    /** Writes the second portal's file atomically (fileinstall never reads half a file). */
    private void writePortal(String state) {
        String text = "# written by AluaE2EIT\naddress = 127.0.0.1\nport = " + standbyPort + "\ntransport = tcp\n"
                + "tpgt = 2\naluaState = " + state + "\n";
        Path etc = lunar.home().resolve("etc");
        Path partial = lunar.home().resolve(PORTAL_FILE + ".partial");
        try {
            Files.writeString(partial, text, StandardCharsets.UTF_8);
            Files.move(partial, etc.resolve(PORTAL_FILE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Status, Data-In and sense as "kk/aa/qq" (hex; empty without sense). */
    record Reply(int status, byte[] data, String sense) {
    }

    /** Login straight to full feature phase, then one command at a time without Data-Out. */
    static final class RawInitiator implements AutoCloseable {

        private final Socket socket;
        private final DataInputStream in;
        private int cmdSn;
        private int expStatSn;
        private int itt = 0x100;

        private RawInitiator(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new DataInputStream(socket.getInputStream());
        }

        static RawInitiator login(int port, int isid) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            s.setSoTimeout(30_000);
            RawInitiator r = new RawInitiator(s);
            StringBuilder keys = new StringBuilder();
            for (String kv : new String[] {"InitiatorName=" + INITIATOR, "SessionType=Normal", "TargetName=" + IQN,
                    "HeaderDigest=None", "DataDigest=None"}) {
                keys.append(kv).append('\0');
            }
            byte[] text = keys.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer pdu = ByteBuffer.allocate(48 + pad(text.length));
            pdu.put(0, (byte) 0x43);                     // immediate Login Request
            pdu.put(1, (byte) (0x80 | (1 << 2) | 3));    // T=1, CSG=1 (operational), NSG=3 (full feature)
            pdu.put(7, (byte) text.length);
            pdu.put(8, (byte) 0x80);                     // ISID type random, then the test's qualifier
            pdu.putShort(12, (short) isid);
            pdu.putInt(16, 1);                           // ITT
            pdu.putInt(24, 1);                           // CmdSN
            pdu.put(48, text);
            s.getOutputStream().write(pdu.array());
            byte[][] response = r.readPdu();
            assertEquals(0x23, response[0][0] & 0x3f, "Login Response");
            assertEquals(0, response[0][36], "login succeeded (status class 0), detail " + response[0][37]);
            r.expStatSn = ByteBuffer.wrap(response[0]).getInt(24) + 1;
            r.cmdSn = ByteBuffer.wrap(response[0]).getInt(28);
            return r;
        }

        /** TEST UNIT READY until it reports something other than a unit attention. */
        void clearUnitAttentions() throws IOException {
            Reply r = afterUnitAttentions(TUR, 0);
            assertEquals(GOOD, r.status(), "TEST UNIT READY: " + r.sense());
        }

        /** Runs {@code cdb} until its answer is not a unit attention (a new nexus has 29/00 pending). */
        Reply afterUnitAttentions(byte[] cdb, int expectedIn) throws IOException {
            Reply r = command(cdb, expectedIn);
            for (int i = 0; i < 8 && r.sense().startsWith("06/"); i++) {
                r = command(cdb, expectedIn);
            }
            return r;
        }

        Reply command(byte[] cdb, int expectedIn) throws IOException {
            int task = itt++;
            ByteBuffer pdu = ByteBuffer.allocate(48);
            pdu.put(0, (byte) 0x01);
            pdu.put(1, (byte) (0x80 | (expectedIn > 0 ? 0x40 : 0) | 0x01)); // F, R, SIMPLE
            pdu.putInt(16, task);
            pdu.putInt(20, expectedIn);
            pdu.putInt(24, cmdSn++);
            pdu.putInt(28, expStatSn);
            pdu.put(32, cdb);
            socket.getOutputStream().write(pdu.array());
            ByteArrayOutputStream dataIn = new ByteArrayOutputStream();
            while (true) {
                byte[][] reply = readPdu();
                ByteBuffer bhs = ByteBuffer.wrap(reply[0]);
                int opcode = reply[0][0] & 0x3f;
                if (opcode == 0x20) {                    // NOP-In: answer a ping (RFC 7143 §11.19)
                    if (bhs.getInt(20) != -1) {
                        nopOut(bhs);
                    }
                    continue;
                }
                if (opcode == 0x32 || bhs.getInt(16) != task) {
                    continue;
                }
                if (opcode == 0x25) {                    // Data-In
                    dataIn.write(reply[1]);
                    if ((reply[0][1] & 0x01) != 0) {     // S: the status is in this PDU
                        expStatSn = bhs.getInt(24) + 1;
                        return new Reply(reply[0][3] & 0xff, dataIn.toByteArray(), "");
                    }
                    continue;
                }
                assertEquals(0x21, opcode, "SCSI Response expected, got opcode 0x" + Integer.toHexString(opcode));
                expStatSn = bhs.getInt(24) + 1;
                return new Reply(reply[0][3] & 0xff, dataIn.toByteArray(), sense(reply[1]));
            }
        }

        /** RFC 7143 §11.4.7.2: SenseLength, then fixed (70h/71h) or descriptor (72h/73h) sense. */
        private static String sense(byte[] segment) {
            if (segment.length < 2 + 4) {
                return "";
            }
            int code = segment[2] & 0x7f;
            int key;
            int asc;
            int ascq;
            if (code >= 0x72) {
                key = segment[3] & 0x0f;
                asc = segment[4] & 0xff;
                ascq = segment[5] & 0xff;
            } else {
                key = segment[4] & 0x0f;
                asc = segment.length > 14 ? segment[14] & 0xff : 0;
                ascq = segment.length > 15 ? segment[15] & 0xff : 0;
            }
            return String.format("%02x/%02x/%02x", key, asc, ascq);
        }

        private void nopOut(ByteBuffer nopIn) throws IOException {
            ByteBuffer pdu = ByteBuffer.allocate(48);
            pdu.put(0, (byte) 0x40);                     // immediate NOP-Out
            pdu.put(1, (byte) 0x80);
            pdu.putLong(8, nopIn.getLong(8));
            pdu.putInt(16, -1);
            pdu.putInt(20, nopIn.getInt(20));
            pdu.putInt(24, cmdSn);
            pdu.putInt(28, expStatSn);
            socket.getOutputStream().write(pdu.array());
        }

        /** BHS and data segment of the next PDU (AHS dropped). */
        private byte[][] readPdu() throws IOException {
            byte[] bhs = new byte[48];
            in.readFully(bhs);
            int data = ((bhs[5] & 0xff) << 16) | ((bhs[6] & 0xff) << 8) | (bhs[7] & 0xff);
            in.readFully(new byte[(bhs[4] & 0xff) * 4]);
            byte[] segment = new byte[data];
            in.readFully(segment);
            in.readFully(new byte[pad(data) - data]);
            return new byte[][] {bhs, segment};
        }

        private static int pad(int length) {
            return (length + 3) & ~3;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
