package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HostAndPortTest {

    @Test
    void ipv4IsAddressColonPortWithoutSlash() throws Exception {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}), 51234);
        assertEquals("127.0.0.1:51234", IscsiEngine.hostAndPort(a));
    }

    @Test
    void ipv6IsBracketed() throws Exception {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("::1"), 3260);
        assertEquals("[0:0:0:0:0:0:0:1]:3260", IscsiEngine.hostAndPort(a));
    }

    @Test
    void noAddressIsEmpty() {
        assertEquals("", IscsiEngine.hostAndPort(null));
    }
}
