package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The smallest initiator that can hold a nexus the tests control byte for byte (a chosen ISID,
 * reservations, commands no Debian tool sends, such as REPORT TARGET PORT GROUPS): one Login
 * Request straight to full feature phase, then one SCSI command at a time (immediate data, or
 * Data-Out on R2T), answering NOP-In pings so the target keeps the connection.
 */
final class RawInitiator implements AutoCloseable {

    static final int GOOD = 0x00;
    private static final byte[] TUR = {0, 0, 0, 0, 0, 0};

    /** Status, Data-In, and sense as "kk/aa/qq" in hex (empty without sense). */
    record Reply(int status, byte[] data, String sense) {
    }

    private final Socket socket;
    private final DataInputStream in;
    private int cmdSn;
    private int expStatSn;
    private int itt = 0x100;
    private int tsih;

    private RawInitiator(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Logs {@code initiator} in to {@code target} on a loopback portal, ISID type random with {@code isid} as qualifier. */
    static RawInitiator login(int port, String initiator, String target, int isid) throws IOException {
        return login(port, initiator, target, isid, 0, 1, "ImmediateData=Yes", "InitialR2T=No");
    }

    /** A new session that asks the target to keep it {@code seconds} after a connection failure. */
    static RawInitiator loginRetained(int port, String initiator, String target, int isid, int seconds)
            throws IOException {
        return login(port, initiator, target, isid, 0, 1, "ImmediateData=Yes", "InitialR2T=No",
                "DefaultTime2Retain=" + seconds);
    }

    /**
     * Continues the session {@code tsih} on a new connection (RFC 7143 §6.3.6): the same ISID,
     * the session's TSIH, the next CmdSN of the initiator's stream, and no session-wide keys.
     */
    static RawInitiator continueSession(int port, String initiator, String target, int isid, int tsih, int cmdSn)
            throws IOException {
        return login(port, initiator, target, isid, tsih, cmdSn);
    }

    private static RawInitiator login(int port, String initiator, String target, int isid, int tsih, int cmdSn,
            String... sessionKeys) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        s.setSoTimeout(30_000);
        RawInitiator r = new RawInitiator(s);
        StringBuilder keys = new StringBuilder();
        for (String kv : new String[] {"InitiatorName=" + initiator, "SessionType=Normal", "TargetName=" + target,
                "HeaderDigest=None", "DataDigest=None"}) {
            keys.append(kv).append('\0');
        }
        for (String kv : sessionKeys) {
            keys.append(kv).append('\0');
        }
        byte[] text = keys.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer pdu = ByteBuffer.allocate(48 + pad(text.length));
        pdu.put(0, (byte) 0x43);                     // immediate Login Request
        pdu.put(1, (byte) (0x80 | (1 << 2) | 3));    // T=1, CSG=1 (operational), NSG=3 (full feature)
        pdu.put(7, (byte) text.length);
        pdu.put(8, (byte) 0x80);                     // ISID type random, then the test's qualifier
        pdu.putShort(12, (short) isid);
        pdu.putShort(14, (short) tsih);
        pdu.putShort(20, (short) 1);                 // CID
        pdu.putInt(16, 1);                           // ITT
        pdu.putInt(24, cmdSn);
        pdu.put(48, text);
        s.getOutputStream().write(pdu.array());
        byte[][] response = r.readPdu();
        assertEquals(0x23, response[0][0] & 0x3f, "Login Response");
        assertEquals(0, response[0][36], "login succeeded (status class 0), detail " + response[0][37]);
        ByteBuffer h = ByteBuffer.wrap(response[0]);
        r.expStatSn = h.getInt(24) + 1;
        r.cmdSn = h.getInt(28);
        r.tsih = h.getShort(14) & 0xffff;
        return r;
    }

    /** The TSIH the target gave the session. */
    int tsih() {
        return tsih;
    }

    /** The CmdSN the next non-immediate command carries. */
    int cmdSn() {
        return cmdSn;
    }

    /** TEST UNIT READY until it reports something other than a unit attention, which must be GOOD. */
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

    /** PERSISTENT RESERVE OUT (SPC-4 §6.16) with the basic 24-byte parameter list. */
    Reply persistentReserveOut(int serviceAction, int type, long key, long serviceActionKey) throws IOException {
        ByteBuffer parameters = ByteBuffer.allocate(24);
        parameters.putLong(0, key);
        parameters.putLong(8, serviceActionKey);
        byte[] cdb = new byte[10];
        cdb[0] = 0x5f;
        cdb[1] = (byte) serviceAction;
        cdb[2] = (byte) type;                        // scope 0 (LU_SCOPE)
        cdb[8] = 24;
        return command(cdb, parameters.array(), 0);
    }

    /** PERSISTENT RESERVE IN, READ RESERVATION (SPC-4 §6.15.4). */
    Reply readReservation() throws IOException {
        return command(new byte[] {0x5e, 0x01, 0, 0, 0, 0, 0, 0, 64, 0}, null, 64);
    }

    /** READ(10) of block 0, one block (512 or 4096 bytes: ask for 4096). */
    Reply read10() throws IOException {
        return command(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}, null, 4096);
    }

    /** A command without Data-Out. */
    Reply command(byte[] cdb, int expectedIn) throws IOException {
        return command(cdb, null, expectedIn);
    }

    Reply command(byte[] cdb, byte[] dataOut, int expectedIn) throws IOException {
        int task = itt++;
        int out = dataOut == null ? 0 : dataOut.length;
        ByteBuffer pdu = ByteBuffer.allocate(48 + pad(out));
        pdu.put(0, (byte) 0x01);
        pdu.put(1, (byte) (0x80 | (expectedIn > 0 ? 0x40 : 0) | (out > 0 ? 0x20 : 0) | 0x01)); // F, R, W, SIMPLE
        pdu.put(5, (byte) (out >> 16));
        pdu.put(6, (byte) (out >> 8));
        pdu.put(7, (byte) out);
        pdu.putInt(16, task);
        pdu.putInt(20, Math.max(out, expectedIn));
        pdu.putInt(24, cmdSn++);
        pdu.putInt(28, expStatSn);
        pdu.put(32, cdb);
        if (out > 0) {
            pdu.put(48, dataOut);
        }
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
            if (opcode == 0x32) {                    // Async Message: not for these tests
                continue;
            }
            if (opcode == 0x31) {                    // R2T (InitialR2T=Yes or ImmediateData=No)
                sendDataOut(task, bhs.getInt(20), dataOut);
                continue;
            }
            if (bhs.getInt(16) != task) {
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

    /** Reads until end of stream: true when the target closed with a FIN within {@code limit}. */
    boolean awaitClosedByTarget(Duration limit) throws IOException {
        socket.setSoTimeout((int) limit.toMillis());
        try {
            while (in.read() >= 0) {
                // a late PDU: drop it
            }
            return true;
        } catch (SocketException reset) {
            return false;
        } catch (SocketTimeoutException stillOpen) {
            return false;
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

    private void sendDataOut(int task, int ttt, byte[] data) throws IOException {
        ByteBuffer pdu = ByteBuffer.allocate(48 + pad(data.length));
        pdu.put(0, (byte) 0x05);
        pdu.put(1, (byte) 0x80);
        pdu.put(5, (byte) (data.length >> 16));
        pdu.put(6, (byte) (data.length >> 8));
        pdu.put(7, (byte) data.length);
        pdu.putInt(16, task);
        pdu.putInt(20, ttt);
        pdu.putInt(28, expStatSn);
        pdu.put(48, data);
        socket.getOutputStream().write(pdu.array());
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
