package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input on the wire (issue 3, DESIGN.md §3.7): a raw socket sends garbage, truncated and
 * oversized PDUs and PDUs of the wrong phase to the default portal. Each must end in a Login
 * Response with an error status, a Reject or a closed connection, within a bounded time, and
 * after each one a well-formed login on a new connection still succeeds: the target stays
 * healthy and nothing escaped into the log as an internal error.
 */
class LoginBadInputE2EIT extends LunarE2ETest {

    private static final int BHS = 48;
    private static final int LOGIN_REQUEST = 0x03;
    private static final int LOGIN_RESPONSE = 0x23;
    private static final int REJECT = 0x3f;
    private static final int SCSI_COMMAND = 0x01;
    private static final String INITIATOR = "iqn.2026-11.dev.lunar:badinput";

    /** How a connection ended after the bad input. */
    private enum Outcome { CLOSED, LOGIN_REFUSED, REJECTED, LOGGED_IN }

    @AfterEach
    void targetStillServesAWellFormedLoginAndLoggedNoInternalError() throws IOException {
        assertEquals(Outcome.LOGGED_IN, exchange(login(DEFAULT_TARGET, 0, 0x1000), false));
        String log = Files.readString(lunar.home().resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        assertFalse(log.contains("internal error"), () -> "internal error in karaf.log:\n" + lunar.diagnostics());
        assertFalse(log.contains("listener threw"), () -> "an exception escaped to the transport:\n" + lunar.diagnostics());
    }

    @Test
    void garbageHeaderIsRefused() throws IOException {
        byte[] garbage = new byte[BHS];
        Arrays.fill(garbage, (byte) 0xff);
        assertRefused(exchange(garbage, false));
    }

    @Test
    void truncatedHeaderEndsTheConnection() throws IOException {
        byte[] half = Arrays.copyOf(login(DEFAULT_TARGET, 0, 0x2000), 20);
        assertEquals(Outcome.CLOSED, exchange(half, true));
    }

    @Test
    void oversizedDataSegmentLengthIsNeverBelieved() throws IOException {
        byte[] pdu = Arrays.copyOf(login(DEFAULT_TARGET, 0, 0x3000), BHS);
        // DataSegmentLength 0xffffff: 16 MiB the target must neither wait for nor allocate.
        pdu[5] = (byte) 0xff;
        pdu[6] = (byte) 0xff;
        pdu[7] = (byte) 0xff;
        assertRefused(exchange(pdu, true));
    }

    @Test
    void ahsClaimingMoreThanSentEndsTheConnection() throws IOException {
        byte[] pdu = Arrays.copyOf(login(DEFAULT_TARGET, 0, 0x4000), BHS);
        pdu[4] = (byte) 0xff;
        assertRefused(exchange(pdu, true));
    }

    @Test
    void scsiCommandBeforeLoginIsRefused() throws IOException {
        byte[] pdu = new byte[BHS];
        pdu[0] = SCSI_COMMAND;
        pdu[1] = (byte) 0x80;
        assertRefused(exchange(pdu, false));
    }

    @Test
    void loginToAnUnknownTargetIsRefused() throws IOException {
        assertEquals(Outcome.LOGIN_REFUSED, exchange(login("iqn.2026-11.dev.lunar:nobody", 0, 0x5000), false));
    }

    @Test
    void aNonUtf8KeyIsRefused() throws IOException {
        byte[] pdu = login(DEFAULT_TARGET, 0, 0x6000);
        // Corrupt a byte of the text into an invalid UTF-8 lead byte.
        pdu[BHS + 2] = (byte) 0xc3;
        pdu[BHS + 3] = (byte) 0x28;
        assertRefused(exchange(pdu, false));
    }

    // ------------------------------------------------------------------ helpers

    private static void assertRefused(Outcome outcome) {
        assertTrue(outcome == Outcome.CLOSED || outcome == Outcome.LOGIN_REFUSED || outcome == Outcome.REJECTED,
                () -> "bad input was answered with " + outcome);
    }

    /**
     * Sends {@code bytes} on a new connection (then half-closes when {@code endOutput}) and reads
     * the target's answer: a Login Response, a Reject, or the end of the connection.
     */
    private Outcome exchange(byte[] bytes, boolean endOutput) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", lunar.iscsiPort()), 10_000);
            // Bounded: the target answers or closes at once; only its login timeout would be slower.
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            if (endOutput) {
                s.shutdownOutput();
            }
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] header = new byte[BHS];
            try {
                in.readFully(header);
            } catch (EOFException | SocketException e) {
                return Outcome.CLOSED;
            }
            int opcode = header[0] & 0x3f;
            int dataLength = ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
            skip(in, (dataLength + 3) & ~3);
            if (opcode == REJECT) {
                return Outcome.REJECTED;
            }
            assertEquals(LOGIN_RESPONSE, opcode, "only a Login Response or a Reject may answer a login-phase PDU");
            int statusClass = header[36] & 0xff;
            if (statusClass != 0) {
                return Outcome.LOGIN_REFUSED;
            }
            boolean transit = (header[1] & 0x80) != 0;
            int nsg = header[1] & 0x03;
            assertTrue(transit && nsg == 3, "the well-formed login goes straight to full feature phase");
            return Outcome.LOGGED_IN;
        }
    }

    private static void skip(InputStream in, int n) throws IOException {
        byte[] sink = new byte[Math.min(n, 8192)];
        int left = n;
        while (left > 0) {
            int r = in.read(sink, 0, Math.min(left, sink.length));
            if (r < 0) {
                return;
            }
            left -= r;
        }
    }

    /**
     * A Login Request (RFC 7143 §11.12) from the operational stage straight to full feature
     * phase, as the default loopback target without CHAP allows, with the keys a session needs.
     */
    private static byte[] login(String target, int tsih, int itt) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (String kv : new String[] {"InitiatorName=" + INITIATOR, "SessionType=Normal", "TargetName=" + target,
                "HeaderDigest=None", "DataDigest=None"}) {
            byte[] b = kv.getBytes(StandardCharsets.UTF_8);
            text.write(b, 0, b.length);
            text.write(0);
        }
        byte[] data = text.toByteArray();
        ByteBuffer h = ByteBuffer.allocate(BHS + ((data.length + 3) & ~3));
        h.put(0, (byte) (0x40 | LOGIN_REQUEST));
        h.put(1, (byte) (0x80 | (1 << 2) | 3));
        h.put(5, (byte) (data.length >>> 16));
        h.put(6, (byte) (data.length >>> 8));
        h.put(7, (byte) data.length);
        // ISID: type 0x80 (random), qualifier from the ITT so each connection is its own session.
        h.put(8, (byte) 0x80);
        h.putShort(12, (short) itt);
        h.putShort(14, (short) tsih);
        h.putInt(16, itt);
        h.putInt(24, 1);
        h.position(BHS);
        h.put(data);
        return h.array();
    }
}
