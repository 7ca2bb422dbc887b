package dev.lunar.metrics.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.LunService;
import dev.lunar.api.TargetService;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
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
 * Exposes Lunar's run-time state: MXBeans under {@code dev.lunar} in the platform MBeanServer
 * (which Karaf's JMX connector serves), and, when {@code prometheusPort} is set, a Prometheus
 * text endpoint {@code /metrics}. Configuration {@value ConfigPids#METRICS} (optional). Both
 * read {@link TargetService} and {@link LunService}, bound dynamically so an update of the iscsi
 * or scsi bundle does not restart this component; while one is missing its part is just empty.
 */
@Component(service = {}, immediate = true, configurationPid = ConfigPids.METRICS,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = MetricsComponent.Config.class)
public final class MetricsComponent {

    @ObjectClassDefinition(name = "Lunar metrics", description = "JMX MBeans and the Prometheus text endpoint")
    public @interface Config {
        @AttributeDefinition(description = "TCP port of the Prometheus endpoint /metrics (0: off)", min = "0",
                max = "65535")
        int prometheusPort() default 0;

        @AttributeDefinition(description = "Address the endpoint listens on")
        String prometheusAddress() default "127.0.0.1";

        @AttributeDefinition(description = "Allow a non-loopback prometheusAddress (the endpoint has no authentication)")
        boolean allowRemote() default false;

        @AttributeDefinition(description = "Seconds between refreshes of the set of MBeans (sessions come and go)",
                min = "1")
        int jmxRefreshSeconds() default 5;
    }

    private static final Logger LOG = LoggerFactory.getLogger(MetricsComponent.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lunar-metrics");
        t.setDaemon(true);
        return t;
    });
    private volatile TargetService targets;
    private volatile LunService luns;
    private volatile ConfigurationService configs;
    private final LunarMBeans mbeans = LunarMBeans.platform(() -> targets, () -> luns, () -> configs);
    private PrometheusEndpoint endpoint;
    private Config config;
    private java.util.concurrent.ScheduledFuture<?> refresh;

    @Activate
    public MetricsComponent(Config config) {
        apply(config);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTargetService(TargetService s) {
        targets = s;
    }

    void unbindTargetService(TargetService s) {
        if (targets == s) {
            targets = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindLunService(LunService s) {
        luns = s;
    }

    void unbindLunService(LunService s) {
        if (luns == s) {
            luns = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindConfigurationService(ConfigurationService s) {
        configs = s;
    }

    void unbindConfigurationService(ConfigurationService s) {
        if (configs == s) {
            configs = null;
        }
    }

    /** A new port or address re-listens; MBeans stay registered (STYLE rule 8). */
    @Modified
    synchronized void apply(Config next) {
        Config prev = config;
        config = next;
        if (refresh == null || prev == null || prev.jmxRefreshSeconds() != next.jmxRefreshSeconds()) {
            if (refresh != null) {
                refresh.cancel(false);
            }
            refresh = timer.scheduleWithFixedDelay(this::syncMBeans, 0, Math.max(1, next.jmxRefreshSeconds()),
                    TimeUnit.SECONDS);
        }
        if (prev != null && prev.prometheusPort() == next.prometheusPort()
                && prev.prometheusAddress().equals(next.prometheusAddress())
                && prev.allowRemote() == next.allowRemote() && (endpoint != null) == (next.prometheusPort() > 0)) {
            return;
        }
        stopEndpoint();
        if (next.prometheusPort() > 0) {
            try {
                InetSocketAddress address = endpointAddress(next);
                endpoint = new PrometheusEndpoint(address, this::scrape);
                LOG.info("Prometheus endpoint listening on http://{}:{}/metrics",
                        endpoint.address().getHostString(), endpoint.address().getPort());
            } catch (IOException | IllegalArgumentException e) {
                LOG.error("Prometheus endpoint not started: {}", e.getMessage());
            }
        }
    }

    /**
     * The endpoint's address; refuses a non-loopback one unless {@code allowRemote}: the endpoint
     * has no authentication and names every initiator (DESIGN.md §3.7, secure by default).
     */
    static InetSocketAddress endpointAddress(Config c) throws IOException {
        InetAddress a = InetAddress.getByName(c.prometheusAddress().trim());
        if (!a.isLoopbackAddress() && !c.allowRemote()) {
            throw new IllegalArgumentException("prometheusAddress " + c.prometheusAddress()
                    + " is not a loopback address; set allowRemote=true to expose metrics beyond this host");
        }
        return new InetSocketAddress(a, c.prometheusPort());
    }

    /** The text of one scrape (on the endpoint's thread). */
    String scrape() {
        TargetService ts = targets;
        LunService ls = luns;
        return PrometheusText.render(ts == null ? List.of() : ts.targets(), ts == null ? List.of() : ts.transports(),
                ls == null ? List.of() : ls.lunStats(), ts == null ? List.of() : ts.sessionStats());
    }

    private void syncMBeans() {
        try {
            mbeans.sync();
        } catch (RuntimeException e) {
            LOG.warn("Refreshing Lunar's MBeans failed", e);
        }
    }

    private void stopEndpoint() {
        if (endpoint != null) {
            endpoint.close();
            endpoint = null;
        }
    }

    /** Port the endpoint listens on, or 0 (tests). */
    synchronized int endpointPort() {
        return endpoint == null ? 0 : endpoint.address().getPort();
    }

    @Deactivate
    synchronized void deactivate() {
        timer.shutdownNow();
        stopEndpoint();
        mbeans.close();
    }
}
