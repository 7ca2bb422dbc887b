package dev.lunar.iscsi.internal.osgi;

import dev.lunar.iscsi.internal.ConnectionHandover;
import dev.lunar.spi.transport.Transport;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every {@link Transport} service and hands live connections over when one goes away or
 * comes back (DESIGN.md §3.5; the steps are in {@link ConnectionHandover}). Reads
 * {@value #GRACE_KEY} from the engine's configuration {@value IscsiEngineComponent#PID}.
 *
 * <p>Why this works on {@code bundle:update}/{@code bundle:restart} of a transport bundle: when a
 * bundle stops, Felix SCR deactivates its components by first unregistering their services and
 * only then calling {@code @Deactivate} (Declarative Services 1.4, 112.5.16 "Deactivation": the
 * service is unregistered before the deactivate method runs). Unregistering delivers the
 * UNREGISTERING service event synchronously, and SCR calls this component's dynamic
 * {@link #unbindTransport unbind} from that event, on the thread stopping the bundle. So unbind
 * runs while the departing transport still works (its event loops live until its deactivate) and
 * may wait for the detaches; it is bounded by {@link ConnectionHandover#DETACH_WAIT}.
 */
@Component(service = {}, immediate = true, configurationPid = IscsiEngineComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class ConnectionHandoverComponent {

    /** Seconds parked connections wait for a transport of their kind before they are closed. */
    static final String GRACE_KEY = "transportGraceSeconds";
    static final int DEFAULT_GRACE_SECONDS = 30;

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandoverComponent.class);

    private final IscsiEngineComponent engine;
    private final ScheduledExecutorService timer;
    private final ConnectionHandover handover;

    @Activate
    public ConnectionHandoverComponent(@Reference IscsiEngineComponent engine, Map<String, Object> properties) {
        this.engine = engine;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lunar-iscsi-handover");
            t.setDaemon(true);
            return t;
        });
        this.handover = new ConnectionHandover(engine.engine(), timer, this::portalUsesKind, grace(properties));
        engine.handoverAdded(handover);
    }

    @Modified
    void modified(Map<String, Object> properties) {
        handover.setGrace(grace(properties));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTransport(Transport transport, Map<String, Object> properties) {
        // Called by SCR before activation for services already there; the handover exists by then
        // because constructor injection runs first (bind methods follow the constructor).
        String kind = property(properties, Transport.KIND, transport.kind());
        String wire = property(properties, Transport.WIRE, transport.wire());
        handover.transportBound(transport, kind, wire);
    }

    void unbindTransport(Transport transport) {
        handover.transportUnbinding(transport);
    }

    @Deactivate
    void deactivate() {
        engine.handoverRemoved(handover);
        handover.close();
        timer.shutdownNow();
    }

    private boolean portalUsesKind(String kind) {
        return engine.portals().stream().anyMatch(p -> kind.equals(p.transport()));
    }

    private static String property(Map<String, Object> properties, String key, String fallback) {
        Object v = properties.get(key);
        return v == null ? fallback : v.toString();
    }

    static Duration grace(Map<String, Object> properties) {
        Object v = properties.get(GRACE_KEY);
        if (v == null) {
            return Duration.ofSeconds(DEFAULT_GRACE_SECONDS);
        }
        long seconds;
        try {
            seconds = v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(GRACE_KEY + " must be a number of seconds, not '" + v + "'", e);
        }
        if (seconds < 0 || seconds > 3600) {
            throw new IllegalArgumentException(GRACE_KEY + " must be within 0..3600 seconds, not " + seconds);
        }
        LOG.debug("Transport grace time {} s", seconds);
        return Duration.ofSeconds(seconds);
    }
}
