package dev.lunar.iscsi.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.api.PortalInfo;
import dev.lunar.api.TransportInfo;
import dev.lunar.spi.transport.Transport;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;

/** TargetService.transports(): one entry per transport service, with its bundle, portals and connections. */
class TransportDirectoryTest {

    @SuppressWarnings("unchecked")
    private static ServiceReference<Transport> ref(Map<String, Object> properties, String bsn, String version) {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(Bundle.class.getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getSymbolicName" -> bsn;
                    case "getVersion" -> Version.parseVersion(version);
                    default -> null;
                });
        return (ServiceReference<Transport>) Proxy.newProxyInstance(ServiceReference.class.getClassLoader(),
                new Class<?>[] {ServiceReference.class}, (p, m, a) -> switch (m.getName()) {
                    case "getProperty" -> properties.get((String) a[0]);
                    case "getBundle" -> bundle;
                    default -> null;
                });
    }

    @Test
    void listsKindWireBundleListeningPortalsAndConnections() {
        TransportDirectory d = new TransportDirectory();
        ComponentsTest.FakeTransport tcp = new ComponentsTest.FakeTransport();
        ComponentsTest.FakeTransport toe = new ComponentsTest.FakeTransport();
        d.add(tcp, ref(Map.of(Transport.KIND, "tcp", Transport.WIRE, "tcp"), "dev.lunar.transport-tcp", "0.1.0"));
        Map<String, Object> noWire = new HashMap<>();
        noWire.put(Transport.KIND, "toe");
        // No wire property: the transport's own answer counts.
        d.add(toe, ref(noWire, "com.vendor.toe", "2.3.0"));
        List<PortalInfo> portals = List.of(
                new PortalInfo("b", "127.0.0.1", 3260, "tcp", "LISTENING", ""),
                new PortalInfo("a", "127.0.0.1", 3261, "tcp", "LISTENING", ""),
                new PortalInfo("c", "10.0.0.1", 3260, "tcp", "FAILED", "cannot bind"),
                new PortalInfo("d", "127.0.0.1", 3262, "iser", "WAITING", ""));
        assertEquals(List.of(
                new TransportInfo("tcp", "tcp", "dev.lunar.transport-tcp 0.1.0", List.of("a", "b"), 3),
                new TransportInfo("toe", "tcp", "com.vendor.toe 2.3.0", List.of(), 0)),
                d.list(portals, Map.of("tcp", 3)));
        d.remove(tcp);
        assertEquals(List.of("toe"), d.list(portals, Map.of()).stream().map(TransportInfo::kind).toList());
    }
}
