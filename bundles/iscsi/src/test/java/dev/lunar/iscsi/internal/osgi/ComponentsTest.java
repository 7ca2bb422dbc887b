package dev.lunar.iscsi.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.PortalInfo;
import dev.lunar.iscsi.internal.login.TargetConfig;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Portal;
import dev.lunar.spi.transport.Transport;
import dev.lunar.spi.transport.TransportLimits;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DS adapters without a framework: configuration parsing and portal/transport binding. */
class ComponentsTest {

    /** A transport that records listen calls and hands out portals. */
    static final class FakeTransport implements Transport {
        final List<InetSocketAddress> listens = new ArrayList<>();
        final List<FakePortal> portals = new ArrayList<>();
        ConnectionHandler handler;
        boolean failBind;

        @Override
        public String kind() {
            return "tcp";
        }

        @Override
        public String wire() {
            return "tcp";
        }

        @Override
        public TransportLimits limits() {
            return new TransportLimits(65536, 65536, 1 << 20, false, false);
        }

        @Override
        public Portal listen(InetSocketAddress address, ConnectionHandler h) throws IOException {
            if (failBind) {
                throw new IOException("cannot bind " + address);
            }
            listens.add(address);
            handler = h;
            FakePortal p = new FakePortal(new InetSocketAddress(address.getAddress(),
                    address.getPort() == 0 ? 40123 : address.getPort()));
            portals.add(p);
            return p;
        }

        @Override
        public Connection adopt(DetachedConnection detached, dev.lunar.spi.transport.ConnectionListener l) {
            throw new UnsupportedOperationException();
        }
    }

    static final class FakePortal implements Portal {
        final InetSocketAddress address;
        boolean closed;

        FakePortal(InetSocketAddress address) {
            this.address = address;
        }

        @Override
        public InetSocketAddress localAddress() {
            return address;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T defaults(Class<T> type) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, m, a) -> m.getDefaultValue());
    }

    private IscsiEngineComponent engine;

    @BeforeEach
    void setUp() {
        engine = new IscsiEngineComponent(defaults(IscsiEngineComponent.Config.class));
    }

    @AfterEach
    void tearDown() {
        engine.deactivate();
    }

    private static Map<String, Object> portalConfig(int port) {
        Map<String, Object> m = new HashMap<>();
        m.put("service.pid", "dev.lunar.portal~local");
        m.put("address", "127.0.0.1");
        m.put("port", String.valueOf(port));
        return m;
    }

    @Test
    void portalWaitsForItsTransportAndFollowsIt() {
        PortalComponent portal = new PortalComponent(engine, portalConfig(3260));
        PortalInfo info = engine.portals().get(0);
        assertEquals("local", info.name());
        assertEquals("WAITING", info.state());

        FakeTransport tcp = new FakeTransport();
        portal.bindTransport(tcp, Map.of(Transport.KIND, "tcp"));
        assertEquals(1, tcp.listens.size());
        assertEquals(3260, tcp.listens.get(0).getPort());
        assertEquals("LISTENING", engine.portals().get(0).state());

        // A second transport of another kind changes nothing.
        FakeTransport toe = new FakeTransport();
        portal.bindTransport(toe, Map.of(Transport.KIND, "toe"));
        assertTrue(toe.listens.isEmpty());

        // Reconfiguring re-listens; the old listener closes.
        portal.modified(portalConfig(3261));
        assertTrue(tcp.portals.get(0).closed);
        assertEquals(3261, tcp.listens.get(1).getPort());
        assertEquals(3261, engine.portals().get(0).port());

        portal.unbindTransport(tcp);
        assertTrue(tcp.portals.get(1).closed);
        assertEquals("WAITING", engine.portals().get(0).state());

        portal.deactivate();
        assertTrue(engine.portals().isEmpty());
    }

    @Test
    void bindFailureIsReportedNotThrown() {
        PortalComponent portal = new PortalComponent(engine, portalConfig(3260));
        FakeTransport tcp = new FakeTransport();
        tcp.failBind = true;
        portal.bindTransport(tcp, Map.of(Transport.KIND, "tcp"));
        PortalInfo info = engine.portals().get(0);
        assertEquals("FAILED", info.state());
        assertTrue(info.detail().contains("cannot bind"));
        portal.deactivate();
    }

    @Test
    void badPortalConfigurationSaysWhatToFix() {
        Map<String, Object> m = portalConfig(3260);
        m.put("port", "http");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PortalComponent(engine, m));
        assertTrue(e.getMessage().contains("port"));
    }

    @Test
    void targetConfigurationParses() {
        Map<String, Object> m = new HashMap<>();
        m.put("service.pid", "dev.lunar.target~disk0");
        m.put("iqn", "iqn.2026-01.dev.lunar:disk0");
        m.put("alias", "Disk zero");
        TargetConfig plain = TargetComponent.parse(m);
        assertEquals("Disk zero", plain.alias());
        assertFalse(plain.auth().chapRequired());
        assertNull(plain.auth().credentials());

        m.put("auth", "chap");
        assertThrows(IllegalArgumentException.class, () -> TargetComponent.parse(m), "chap needs a user and secret");
        m.put("chapUser", "u");
        m.put("chapSecret", "0123456789ab");
        m.put("mutualUser", "t");
        m.put("mutualSecret", "ba9876543210");
        TargetConfig chap = TargetComponent.parse(m);
        assertTrue(chap.auth().chapRequired());
        assertTrue(chap.auth().credentials().mutual());
        m.put("auth", "kerberos");
        assertThrows(IllegalArgumentException.class, () -> TargetComponent.parse(m));
        m.remove("iqn");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TargetComponent.parse(m));
        assertTrue(e.getMessage().contains("disk0"));
    }

    @Test
    void targetComponentFeedsTheEngine() {
        Map<String, Object> m = new HashMap<>();
        m.put("service.pid", "dev.lunar.target~disk0");
        m.put("iqn", "iqn.2026-01.dev.lunar:disk0");
        TargetComponent t = new TargetComponent(engine, m);
        assertEquals(1, engine.targets().size());
        assertEquals("disk0", engine.targets().get(0).name());
        m.put("alias", "renamed alias");
        t.modified(m);
        assertEquals("renamed alias", engine.targets().get(0).alias());
        t.deactivate();
        assertTrue(engine.targets().isEmpty());
        assertNotNull(engine.sessions());
    }
}
