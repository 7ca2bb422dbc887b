package dev.lunar.iscsi.internal.osgi;

import dev.lunar.api.PortalInfo;
import dev.lunar.api.TransportInfo;
import dev.lunar.spi.transport.Transport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The transport services registered now, as {@code TargetService.transports()} lists them: kind
 * and wire from the service properties (the transport's own answer when a property is missing),
 * the providing bundle from the service reference, and the portals and connections using each.
 * Fed by {@link IscsiEngineComponent}'s dynamic transport reference; read by any thread.
 */
final class TransportDirectory {

    private record Entry(Transport transport, String kind, String wire, String bundle) {
    }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    void add(Transport t, ServiceReference<Transport> ref) {
        Object kind = ref.getProperty(Transport.KIND);
        Object wire = ref.getProperty(Transport.WIRE);
        Bundle b = ref.getBundle();
        entries.add(new Entry(t, kind == null ? t.kind() : kind.toString(), wire == null ? t.wire() : wire.toString(),
                b == null ? "" : b.getSymbolicName() + " " + b.getVersion()));
    }

    void remove(Transport t) {
        entries.removeIf(e -> e.transport() == t);
    }

    /**
     * @param portals every configured portal; those LISTENING through a kind are listed under it
     * @param connections live connections by the transport kind they run on now
     */
    List<TransportInfo> list(List<PortalInfo> portals, Map<String, Integer> connections) {
        List<TransportInfo> out = new ArrayList<>();
        for (Entry e : entries) {
            List<String> names = new ArrayList<>();
            for (PortalInfo p : portals) {
                if (e.kind().equals(p.transport()) && "LISTENING".equals(p.state())) {
                    names.add(p.name());
                }
            }
            names.sort(null);
            out.add(new TransportInfo(e.kind(), e.wire(), e.bundle(), names, connections.getOrDefault(e.kind(), 0)));
        }
        out.sort(Comparator.comparing(TransportInfo::kind).thenComparing(TransportInfo::bundle));
        return out;
    }
}
