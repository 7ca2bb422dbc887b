package dev.lunar.scsi.internal.lun;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The names a logical unit reports (VPD pages 80h and 83h), derived only from its configuration
 * name and target, never from the backend instance: an initiator's multipath layer keys on them,
 * so they must survive a backend swap and a restart (DESIGN §3.5).
 *
 * @param serial unit serial number (VPD 80h), 16 hex digits
 * @param naa the 8-byte NAA identifier, NAA 3 "locally assigned" (SPC-4 §7.8.6.6.3): we have no
 *     IEEE OUI of our own, and a locally assigned name is stable and unique per LUN name
 */
public record LunIdentity(String serial, byte[] naa) {

    public static LunIdentity of(String target, String lunName) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256")
                    .digest((target + "\u0000" + lunName).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        byte[] naa = new byte[8];
        System.arraycopy(h, 0, naa, 0, 8);
        naa[0] = (byte) (0x30 | (naa[0] & 0x0f));
        StringBuilder s = new StringBuilder(16);
        for (int i = 8; i < 16; i++) {
            s.append(String.format("%02X", h[i]));
        }
        return new LunIdentity(s.toString(), naa);
    }
}
