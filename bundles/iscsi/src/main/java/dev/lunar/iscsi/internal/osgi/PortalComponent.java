package dev.lunar.iscsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.PortalInfo;
import dev.lunar.iscsi.internal.PortalBinding;
import dev.lunar.spi.transport.Portal;
import dev.lunar.spi.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance per {@value ConfigPids#PORTAL} factory configuration. Keys: {@code address}
 * (default 127.0.0.1), {@code port} (default 3260), {@code transport} (a transport kind, default
 * {@code tcp}), {@code tpgt} (target portal group tag, default 1).
 *
 * <p>Listens through the {@link Transport} service whose {@value Transport#KIND} matches. While
 * none is bound the portal is WAITING; when the transport goes away the listening socket closes
 * and the portal waits for a successor, while the connections accepted through it are handed
 * over to that successor ({@link ConnectionHandoverComponent}), not closed. The gap between the
 * old listener closing and the new one opening is the only thing an initiator can notice, and
 * only if it connects in that gap. A configuration change re-listens without closing the
 * connections already accepted (the transport keeps them; STYLE rule 8).
 */
@Component(configurationPid = ConfigPids.PORTAL, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
@Designate(ocd = PortalComponent.Config.class, factory = true)
public final class PortalComponent {

    /** Metatype for admin tools; the component itself reads the raw properties. */
    @ObjectClassDefinition(name = "Lunar iSCSI portal", description = "A listening address (factory)")
    @interface Config {
        @AttributeDefinition(description = "Address to listen on (0.0.0.0 for all)")
        String address() default "127.0.0.1";

        @AttributeDefinition(description = "TCP port (0: any free port)", min = "0", max = "65535")
        int port() default 3260;

        @AttributeDefinition(description = "Transport kind (the lunar.transport.kind of a Transport service)")
        String transport() default "tcp";

        @AttributeDefinition(description = "Target portal group tag", min = "1", max = "65535")
        int tpgt() default 1;

        @AttributeDefinition(description = "ALUA asymmetric access state of this portal's target port group"
                + " (its tpgt): active-optimized, active-non-optimized, standby or unavailable."
                + " Read by the SCSI core; the iSCSI engine ignores it")
        String aluaState() default "active-optimized";
    }

    private static final Logger LOG = LoggerFactory.getLogger(PortalComponent.class);

    private record Settings(String address, int port, String kind, int tpgt) {
    }

    private record Bound(Transport transport, String kind) {
    }

    private final IscsiEngineComponent engine;
    private final String name;
    private final List<Bound> transports = new ArrayList<>();
    private Settings settings;
    private Transport listeningOn;
    private Portal portal;
    private PortalBinding binding;
    /** The binding before the portal stopped listening; its connections pass to the next one. */
    private PortalBinding previousBinding;
    private String state = "WAITING";
    private String detail = "";
    private boolean active = true;

    @Activate
    public PortalComponent(@Reference IscsiEngineComponent engine, Map<String, Object> properties) {
        this.engine = engine;
        this.name = TargetComponent.configName(properties);
        this.settings = parse(properties);
        engine.portalAdded(this);
        reconcile();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTransport(Transport transport, Map<String, Object> properties) {
        synchronized (this) {
            transports.add(new Bound(transport, String.valueOf(properties.get(Transport.KIND))));
        }
        reconcile();
    }

    void unbindTransport(Transport transport) {
        synchronized (this) {
            transports.removeIf(b -> b.transport() == transport);
            if (listeningOn == transport) {
                // Only the listener goes: the accepted connections are handed over to a successor
                // by ConnectionHandoverComponent (DESIGN.md §3.5), which unbinds on its own.
                stopListening(false, "transport " + settings.kind() + " went away");
                state = "WAITING";
                detail = "no transport of kind " + settings.kind();
            }
        }
        reconcile();
    }

    @Modified
    void modified(Map<String, Object> properties) {
        Settings next = parse(properties);
        synchronized (this) {
            if (next.equals(settings)) {
                return;
            }
            settings = next;
            // Accepted connections stay with their sessions; only the listener moves.
            stopListening(false, "portal reconfigured");
        }
        reconcile();
    }

    @Deactivate
    void deactivate() {
        engine.portalRemoved(this);
        synchronized (this) {
            active = false;
            PortalBinding waiting = previousBinding;
            previousBinding = null;
            if (waiting != null && waiting.connectionCount() > 0) {
                // Removed while waiting for its transport: its connections go with it.
                LOG.warn("Portal {}: closing {} connection(s): portal removed", name, waiting.connectionCount());
                waiting.closeConnections("portal " + name + " removed");
            }
            stopListening(true, "portal " + name + " removed");
        }
    }

    private synchronized void reconcile() {
        if (!active || portal != null) {
            return;
        }
        Transport t = null;
        for (Bound b : transports) {
            if (Objects.equals(b.kind(), settings.kind())) {
                t = b.transport();
                break;
            }
        }
        if (t == null) {
            state = "WAITING";
            detail = "no transport of kind " + settings.kind();
            return;
        }
        InetSocketAddress address = new InetSocketAddress(settings.address(), settings.port());
        PortalBinding b = new PortalBinding(name, address, settings.tpgt(), t.limits(), t);
        try {
            // Transport.listen may block briefly while binding; this is a management thread.
            Portal p = t.listen(address, engine.engine().handler(b));
            b.boundTo(p.localAddress());
            b.inheritConnections(previousBinding);
            previousBinding = null;
            portal = p;
            binding = b;
            listeningOn = t;
            state = "LISTENING";
            detail = "";
            LOG.info("Portal {} listening on {} via {}", name, p.localAddress(), settings.kind());
        } catch (IOException | RuntimeException e) {
            engine.engine().removePortal(b);
            state = "FAILED";
            detail = String.valueOf(e.getMessage());
            LOG.warn("Portal {} cannot listen on {} via {}: {}", name, address, settings.kind(), e.getMessage());
        }
    }

    private void stopListening(boolean closeConnections, String why) {
        Portal p = portal;
        PortalBinding b = binding;
        portal = null;
        binding = null;
        listeningOn = null;
        if (p != null) {
            try {
                p.close();
            } catch (RuntimeException e) {
                LOG.warn("Portal {}: closing the listener failed", name, e);
            }
        }
        if (b != null) {
            if (closeConnections) {
                int n = b.connectionCount();
                b.closeConnections(why);
                engine.engine().removePortal(b);
                if (n > 0) {
                    LOG.warn("Portal {}: closed {} connection(s): {}", name, n, why);
                }
            } else {
                // Keep the binding's connections (the next binding inherits them); SendTargets
                // stops listing the old address.
                engine.engine().removePortal(b);
                if (previousBinding != null) {
                    b.inheritConnections(previousBinding);
                }
                previousBinding = b;
            }
        }
    }

    synchronized PortalInfo info() {
        int port = binding != null && binding.address() != null ? binding.address().getPort() : settings.port();
        return new PortalInfo(name, settings.address(), port, settings.kind(), state, detail);
    }

    private static Settings parse(Map<String, Object> p) {
        String address = String.valueOf(p.getOrDefault(ConfigPids.PORTAL_ADDRESS, "127.0.0.1")).trim();
        int port = intValue(p, ConfigPids.PORTAL_PORT, 3260, 0, 65535);
        String kind = String.valueOf(p.getOrDefault(ConfigPids.PORTAL_TRANSPORT, "tcp")).trim();
        int tpgt = intValue(p, "tpgt", 1, 1, 65535);
        return new Settings(address, port, kind, tpgt);
    }

    private static int intValue(Map<String, Object> p, String key, int dflt, int min, int max) {
        Object v = p.get(key);
        if (v == null) {
            return dflt;
        }
        int n;
        try {
            n = v instanceof Number num ? num.intValue() : Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("portal key '" + key + "' must be a number, not '" + v + "'", e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("portal key '" + key + "' must be within " + min + ".." + max + ", not " + n);
        }
        return n;
    }
}
