package dev.lunar.iscsi.internal.osgi;

import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TargetService;
import dev.lunar.iscsi.internal.EngineSettings;
import dev.lunar.iscsi.internal.IscsiEngine;
import dev.lunar.iscsi.internal.login.AuthConfig;
import dev.lunar.iscsi.internal.login.ChapCredentials;
import dev.lunar.iscsi.internal.login.NegotiationDefaults;
import dev.lunar.spi.scsi.DeviceServer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * The iSCSI engine as a service: owns the {@link IscsiEngine}, follows the SCSI core
 * ({@link DeviceServer}, dynamic and optional: without it normal logins get "service unavailable"
 * and running sessions get BUSY) and answers {@link TargetService}. Targets and portals are
 * separate factory components that feed it.
 */
@Component(service = {TargetService.class, IscsiEngineComponent.class}, immediate = true,
        configurationPid = IscsiEngineComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = IscsiEngineComponent.Config.class)
public final class IscsiEngineComponent implements TargetService {

    static final String PID = "dev.lunar.iscsi";

    private static final Logger LOG = LoggerFactory.getLogger(IscsiEngineComponent.class);

    @ObjectClassDefinition(name = "Lunar iSCSI engine", description = "Session-wide iSCSI tunables")
    public @interface Config {
        @AttributeDefinition(description = "Task slots per session; MaxCmdSN never admits more")
        int queueDepth() default 128;

        @AttributeDefinition(description = "Seconds of silence before the target pings with a NOP-In (0: never)")
        int nopIntervalSeconds() default 10;

        @AttributeDefinition(description = "Seconds a ping may stay unanswered before the connection is closed")
        int nopTimeoutSeconds() default 30;

        @AttributeDefinition(description = "MiB of Data-Out a session may have solicited (R2T) and not yet received")
        int maxSolicitedMiB() default 32;

        @AttributeDefinition(description = "MiB of data a session may hold (Data-Out not yet taken by the SCSI core, "
                + "Data-In not yet sent); beyond it MaxCmdSN stops advancing")
        int maxSessionMiB() default 64;

        @AttributeDefinition(description = "Seconds connections of a departed transport wait for a successor of"
                + " the same kind before they are closed (their sessions then end as on connection loss)",
                min = "0", max = "3600")
        int transportGraceSeconds() default 30;

        @AttributeDefinition(description = "CHAP user discovery sessions must authenticate as (empty: none)")
        String discoveryChapUser() default "";

        @AttributeDefinition(type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD,
                description = "CHAP secret for discovery sessions")
        String discoveryChapSecret() default "";

        // Operational keys (RFC 7143 §13): the target's offer when the result function lets it
        // choose. Values above the transport's limits are clamped at login.

        @AttributeDefinition(description = "MaxRecvDataSegmentLength the target declares (512..16777215)")
        int maxRecvDataSegmentLength() default 262144;

        @AttributeDefinition(description = "MaxBurstLength offered (512..16777215; result is the minimum)")
        int maxBurstLength() default 1048576;

        @AttributeDefinition(description = "FirstBurstLength offered (512..16777215, at most maxBurstLength)")
        int firstBurstLength() default 262144;

        @AttributeDefinition(description = "ImmediateData offered (result is the AND)")
        boolean immediateData() default true;

        @AttributeDefinition(description = "InitialR2T offered (result is the OR)")
        boolean initialR2T() default false;

        @AttributeDefinition(description = "MaxOutstandingR2T offered (1..65535)")
        int maxOutstandingR2T() default 8;

        @AttributeDefinition(description = "DefaultTime2Wait in seconds (0..3600)")
        int defaultTime2Wait() default 2;

        @AttributeDefinition(description = "DefaultTime2Retain in seconds (0..3600)")
        int defaultTime2Retain() default 20;

        @AttributeDefinition(description = "Whether CRC32C header digests are accepted when the initiator offers them")
        boolean headerDigest() default true;

        @AttributeDefinition(description = "Whether CRC32C data digests are accepted when the initiator offers them")
        boolean dataDigest() default true;
    }

    private final IscsiEngine engine;
    private final ScheduledExecutorService timer;
    private final Set<PortalComponent> portals = ConcurrentHashMap.newKeySet();
    private volatile DeviceServer deviceServer;

    @Activate
    public IscsiEngineComponent(Config config) {
        this.engine = new IscsiEngine(validSettings(config, EngineSettings.standard()), new SecureRandom());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lunar-iscsi-timer");
            t.setDaemon(true);
            return t;
        });
        // The sweep only posts work to each connection's I/O thread; it never blocks.
        timer.scheduleWithFixedDelay(engine::sweepIdle, 1, 1, TimeUnit.SECONDS);
        DeviceServer ds = deviceServer;
        engine.setDeviceServer(ds);
        LOG.info("iSCSI engine started (queue depth {})", config.queueDepth());
    }

    static EngineSettings settings(Config c) {
        EngineSettings d = EngineSettings.standard();
        AuthConfig discovery = AuthConfig.none();
        if (!c.discoveryChapUser().isEmpty()) {
            discovery = AuthConfig.chap(new ChapCredentials(c.discoveryChapUser(),
                    c.discoveryChapSecret().getBytes(StandardCharsets.UTF_8)));
        }
        NegotiationDefaults n = d.negotiation();
        NegotiationDefaults negotiation = new NegotiationDefaults(c.maxRecvDataSegmentLength(), c.maxBurstLength(),
                c.firstBurstLength(), c.immediateData(), c.initialR2T(), c.maxOutstandingR2T(), n.maxConnections(),
                n.errorRecoveryLevel(), c.defaultTime2Wait(), c.defaultTime2Retain(), n.dataPduInOrder(),
                n.dataSequenceInOrder(), c.headerDigest(), c.dataDigest());
        return new EngineSettings(c.queueDepth(), d.maxSessions(), c.nopIntervalSeconds() * 1000L,
                c.nopTimeoutSeconds() * 1000L, d.maxTextBytes(), negotiation, discovery,
                (long) c.maxSolicitedMiB() << 20, (long) Math.max(c.maxSessionMiB(), 1) << 20);
    }

    /**
     * {@link #settings(Config)}, or {@code previous} when a value is out of range: a typo in
     * {@code etc/dev.lunar.iscsi.cfg} must not take the engine (and every session) down. The
     * validation message names the key and its range.
     */
    static EngineSettings validSettings(Config config, EngineSettings previous) {
        try {
            return settings(config);
        } catch (IllegalArgumentException e) {
            LOG.error("Configuration {} rejected, keeping the previous settings: {}", PID, e.getMessage());
            return previous;
        }
    }

    /** New tunables apply to new logins; sessions keep running (STYLE rule 8). */
    @Modified
    void modified(Config config) {
        engine.updateSettings(validSettings(config, engine.settings()));
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindDeviceServer(DeviceServer server) {
        deviceServer = server;
        if (engine != null) {
            engine.setDeviceServer(server);
        }
        LOG.info("SCSI core bound");
    }

    void unbindDeviceServer(DeviceServer server) {
        if (deviceServer == server) {
            deviceServer = null;
            if (engine != null) {
                engine.setDeviceServer(null);
            }
            LOG.info("SCSI core gone: commands get BUSY until a replacement binds");
        }
    }

    @Deactivate
    void deactivate() {
        timer.shutdownNow();
        int n = engine.connectionCount();
        engine.closeAll("iSCSI engine stopping");
        if (n > 0) {
            LOG.warn("iSCSI engine stopped: closed {} connection(s)", n);
        }
    }

    public IscsiEngine engine() {
        return engine;
    }

    void portalAdded(PortalComponent p) {
        portals.add(p);
    }

    void portalRemoved(PortalComponent p) {
        portals.remove(p);
    }

    @Override
    public List<TargetInfo> targets() {
        return engine.targetInfos();
    }

    @Override
    public List<PortalInfo> portals() {
        List<PortalInfo> out = new ArrayList<>();
        for (PortalComponent p : portals) {
            out.add(p.info());
        }
        out.sort(Comparator.comparing(PortalInfo::name));
        return out;
    }

    @Override
    public List<SessionInfo> sessions() {
        return engine.sessionInfos();
    }

    @Override
    public List<dev.lunar.api.SessionStats> sessionStats() {
        return dev.lunar.iscsi.internal.SessionAdmin.sessionStats(engine);
    }

    @Override
    public List<dev.lunar.api.TransportInfo> transports() {
        return transportDirectory.list(portals(), dev.lunar.iscsi.internal.SessionAdmin.connectionsByTransport(engine));
    }

    /** Async Message "logout requested", then a close on the timer (SessionAdmin#killSession). */
    @Override
    public java.util.Optional<java.util.concurrent.CompletionStage<Void>> killSession(int tsih, String reason) {
        return dev.lunar.iscsi.internal.SessionAdmin.killSession(engine, tsih, reason, timer,
                dev.lunar.iscsi.internal.SessionAdmin.LOGOUT_GRACE_SECONDS);
    }

    /** Transport services with their bundles, for transports(); portals bind them separately. */
    private final TransportDirectory transportDirectory = new TransportDirectory();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTransportListing(dev.lunar.spi.transport.Transport transport,
            org.osgi.framework.ServiceReference<dev.lunar.spi.transport.Transport> ref) {
        transportDirectory.add(transport, ref);
    }

    void unbindTransportListing(dev.lunar.spi.transport.Transport transport) {
        transportDirectory.remove(transport);
    }

    /**
     * Quiesces, detaches and re-adopts live connections between two running transports of the same
     * wire (DESIGN.md §3.5; {@link dev.lunar.iscsi.internal.ConnectionHandover#move}). Blocks the
     * calling (management) thread while connections move.
     */
    @Override
    public dev.lunar.api.MoveReport moveConnections(String fromKind, String toKind, java.util.Optional<Integer> tsih) {
        dev.lunar.iscsi.internal.ConnectionHandover h = handover;
        if (h == null) {
            throw new IllegalStateException("transport moves are unavailable: the connection hand-over component is"
                    + " not running");
        }
        return h.move(fromKind, toKind, tsih);
    }

    /** The live connection hand-over (ConnectionHandoverComponent); null while that component is down. */
    private volatile dev.lunar.iscsi.internal.ConnectionHandover handover;

    void handoverAdded(dev.lunar.iscsi.internal.ConnectionHandover h) {
        handover = h;
    }

    void handoverRemoved(dev.lunar.iscsi.internal.ConnectionHandover h) {
        if (handover == h) {
            handover = null;
        }
    }
}
