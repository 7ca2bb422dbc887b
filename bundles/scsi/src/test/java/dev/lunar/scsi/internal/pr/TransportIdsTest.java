package dev.lunar.scsi.internal.pr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TransportIdsTest {

    @Test
    void portNameIsFormat01PaddedToAMultipleOfFour() {
        String port = "iqn.1993-08.org.debian:01:abc,i,0x23d000000001";
        byte[] t = TransportIds.encode(port);
        assertEquals(0x45, t[0] & 0xff);
        int additional = ((t[2] & 0xff) << 8) | (t[3] & 0xff);
        assertEquals(t.length - 4, additional);
        assertEquals(0, additional % 4);
        assertEquals(port.length() + 1 + (4 - (port.length() + 1) % 4) % 4, additional);
        assertEquals(0, t[4 + port.length()], "NUL terminated");
        assertEquals(port, new String(t, 4, port.length(), StandardCharsets.UTF_8));
    }

    @Test
    void shortNamesStillGetTwentyBytes() {
        byte[] t = TransportIds.encode("iqn.x");
        assertEquals(24, t.length);
        assertEquals(0x05, t[0], "format 00b: a name without ISID");
    }

    @Test
    void decodeRoundTripsAndNormalisesTheSeparator() {
        byte[] t = TransportIds.encode("iqn.2026-01.dev.lunar:init,I,0x000000000001");
        TransportIds.Decoded d = TransportIds.decode(t, 0, t.length);
        assertEquals("iqn.2026-01.dev.lunar:init", d.name());
        assertEquals("iqn.2026-01.dev.lunar:init,i,0x000000000001", d.initiatorPort());
        TransportIds.Decoded n = TransportIds.decode(TransportIds.encode("iqn.a:b"), 0, 24);
        assertEquals("iqn.a:b", n.name());
        assertNull(n.initiatorPort());
    }

    @Test
    void malformedIdsAreRejected() {
        byte[] t = TransportIds.encode("iqn.a:b,i,0x1");
        t[0] = 0x41; // FC-like protocol identifier
        assertNull(TransportIds.decode(t, 0, t.length));
        byte[] u = TransportIds.encode("iqn.a:b,i,0x1");
        u[3] = (byte) 200; // longer than what is there
        assertNull(TransportIds.decode(u, 0, u.length));
        byte[] noIsid = TransportIds.encode("iqn.a:b");
        noIsid[0] = 0x45; // claims format 01b without ",i,0x"
        assertNull(TransportIds.decode(noIsid, 0, noIsid.length));
        assertNull(TransportIds.decode(new byte[2], 0, 2));
    }
}
