package dev.lunar.scsi.internal.pr;

import java.nio.charset.StandardCharsets;

/**
 * iSCSI TransportIDs (SPC-4, "TransportID for initiator ports using SCSI over iSCSI"): how READ
 * FULL STATUS names a registered initiator port and how REGISTER AND MOVE names the destination
 * one. Lunar's initiator ports are iSCSI ports, named {@code <iSCSI name>,i,0x<ISID>}, which is
 * exactly the TRANSPORTID format 01b string.
 */
public final class TransportIds {

    /** PROTOCOL IDENTIFIER of iSCSI (SPC-4 table 362). */
    public static final int PROTOCOL_ISCSI = 0x5;
    /** FORMAT CODE 00b: iSCSI name only (an initiator device). */
    public static final int FORMAT_NAME = 0;
    /** FORMAT CODE 01b: initiator port ({@code name,i,0x<ISID>}). */
    public static final int FORMAT_PORT = 1;

    private TransportIds() {
    }

    /**
     * Encodes the TransportID of an initiator port: format 01b when the port name carries the
     * {@code ,i,0x} separator, else format 00b; NUL terminated and zero padded so that the length
     * is a multiple of 4 and at least 24 bytes (ADDITIONAL LENGTH at least 20).
     */
    public static byte[] encode(String initiatorPort) {
        byte[] name = initiatorPort.getBytes(StandardCharsets.UTF_8);
        int padded = Math.max(20, (name.length + 1 + 3) & ~3);
        byte[] out = new byte[4 + padded];
        int format = initiatorPort.toLowerCase(java.util.Locale.ROOT).contains(",i,0x") ? FORMAT_PORT : FORMAT_NAME;
        out[0] = (byte) ((format << 6) | PROTOCOL_ISCSI);
        out[2] = (byte) (padded >>> 8);
        out[3] = (byte) padded;
        System.arraycopy(name, 0, out, 4, name.length);
        return out;
    }

    /** A decoded TransportID: the iSCSI name and, for format 01b, the full initiator port name. */
    public record Decoded(int format, String name, String initiatorPort) {
    }

    /**
     * Decodes an iSCSI TransportID at {@code off} of {@code data}, or returns null when it is not a
     * well-formed iSCSI TransportID of format 00b or 01b.
     */
    public static Decoded decode(byte[] data, int off, int length) {
        if (length < 4 || off + length > data.length) {
            return null;
        }
        int protocol = data[off] & 0x0f;
        int format = (data[off] >>> 6) & 0x03;
        int additional = ((data[off + 2] & 0xff) << 8) | (data[off + 3] & 0xff);
        if (protocol != PROTOCOL_ISCSI || (format != FORMAT_NAME && format != FORMAT_PORT)
                || 4 + additional > length) {
            return null;
        }
        int end = off + 4;
        while (end < off + 4 + additional && data[end] != 0) {
            end++;
        }
        String s = new String(data, off + 4, end - off - 4, StandardCharsets.UTF_8);
        if (s.isEmpty()) {
            return null;
        }
        if (format == FORMAT_NAME) {
            return new Decoded(format, s, null);
        }
        int sep = s.toLowerCase(java.util.Locale.ROOT).indexOf(",i,0x");
        if (sep <= 0 || sep + 5 >= s.length()) {
            return null;
        }
        // Normalise the separator's case; the ISID hex digits are compared as the initiator sent them.
        String port = s.substring(0, sep) + ",i,0x" + s.substring(sep + 5);
        return new Decoded(format, s.substring(0, sep), port);
    }
}
