package dev.lunar.metrics.internal;

import dev.lunar.api.ConfigurationService;
import dev.lunar.api.IoStats;
import dev.lunar.api.LunService;
import dev.lunar.api.LunStats;
import dev.lunar.api.MoveReport;
import dev.lunar.api.SessionStats;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TargetService;
import dev.lunar.api.TransportInfo;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lunar's JMX view under domain {@code dev.lunar}: one MXBean per target, LUN, session and
 * transport, whose read-only attributes read the api services at the moment they are asked, and
 * {@code dev.lunar:type=Lunar} with the operations {@code killSession} and
 * {@code moveConnections}, which delegate to {@link TargetService}, and
 * {@code dev.lunar:type=Configuration} with the shell's configuration operations
 * ({@link ConfigurationOperations}).
 *
 * <p>Targets, LUNs, sessions and transports come and go, so {@link #sync} (called periodically
 * from one thread) registers the names that appeared and unregisters those that went; everything
 * is unregistered by {@link #close}.
 */
final class LunarMBeans {

    static final String DOMAIN = "dev.lunar";
    private static final Logger LOG = LoggerFactory.getLogger(LunarMBeans.class);
    /** How long a JMX killSession waits for the session to be gone before it returns. */
    private static final long KILL_WAIT_SECONDS = 15;

    /** I/O counters shared by LUN and session MXBeans (read at call time). */
    public interface IoCounters {
        long getReads();

        long getWrites();

        long getOtherCommands();

        long getBytesRead();

        long getBytesWritten();

        long getErrors();

        long getReadLatencyP50Micros();

        long getReadLatencyP99Micros();

        long getWriteLatencyP50Micros();

        long getWriteLatencyP99Micros();
    }

    public interface LunMXBean extends IoCounters {
        String getName();

        String getTarget();

        int getLun();
    }

    public interface SessionMXBean extends IoCounters {
        int getTsih();

        String getInitiator();

        String getTarget();

        /** Asks the initiator to log out, closes the connection if it does not; returns at once. */
        void kill(String reason);
    }

    public interface TargetMXBean {
        String getName();

        String getIqn();

        String getAuth();

        int getSessions();
    }

    public interface TransportMXBean {
        String getKind();

        String getWire();

        String getBundle();

        String[] getPortals();

        int getConnections();
    }

    public interface LunarMXBean {
        /** Ends a session and waits (bounded) until it is gone; returns what happened. */
        String killSession(int tsih, String reason);

        /** Moves live connections between transports of one wire; tsih 0 means every connection. */
        String moveConnections(String fromKind, String toKind, int tsih);
    }

    /**
     * The configuration operations of the shell ({@code lunar:target-create}, ..., {@code lunar:export},
     * {@code lunar:apply}); see {@link ConfigurationOperations}. Kinds are {@code target},
     * {@code portal}, {@code lun}, {@code acl}.
     */
    public interface ConfigurationMXBean {
        /** The object kinds: target, portal, lun, acl. */
        String[] getKinds();

        /** Every object of a kind, by name; secrets read {@code ********}. */
        Map<String, Map<String, String>> list(String kind) throws javax.management.MBeanException;

        /** One object's properties; secrets read {@code ********}. */
        Map<String, String> get(String kind, String name) throws javax.management.MBeanException;

        /** Creates an object; returns its properties, redacted. */
        Map<String, String> create(String kind, String name, Map<String, String> properties)
                throws javax.management.MBeanException;

        /** Sets and removes properties of an object; returns its properties, redacted. */
        Map<String, String> update(String kind, String name, Map<String, String> set, String[] remove)
                throws javax.management.MBeanException;

        /** Deletes an object; a target or LUN in use only with {@code force}. */
        void delete(String kind, String name, boolean force) throws javax.management.MBeanException;

        /** The whole configuration as the JSON document of {@code lunar:export}, secrets included. */
        String exportJson() throws javax.management.MBeanException;

        /** Applies (or with {@code dryRun} only plans) a document; returns the plan as text. */
        String applyJson(String json, boolean dryRun) throws javax.management.MBeanException;
    }

    private final MBeanServer server;
    private final Supplier<TargetService> targets;
    private final Supplier<LunService> luns;
    private final Supplier<ConfigurationService> configs;
    private final Set<ObjectName> registered = new HashSet<>();
    private boolean closed;

    /** @param targets/luns the services now, null while unbound */
    LunarMBeans(MBeanServer server, Supplier<TargetService> targets, Supplier<LunService> luns) {
        this(server, targets, luns, () -> null);
    }

    /** @param configs the configuration service now, null while unbound */
    LunarMBeans(MBeanServer server, Supplier<TargetService> targets, Supplier<LunService> luns,
            Supplier<ConfigurationService> configs) {
        this.server = server;
        this.targets = targets;
        this.luns = luns;
        this.configs = configs;
    }

    static LunarMBeans platform(Supplier<TargetService> targets, Supplier<LunService> luns,
            Supplier<ConfigurationService> configs) {
        return new LunarMBeans(ManagementFactory.getPlatformMBeanServer(), targets, luns, configs);
    }

    /** Registers what appeared and unregisters what went. One thread at a time. */
    synchronized void sync() {
        if (closed) {
            return;
        }
        Map<ObjectName, Object> wanted = new HashMap<>();
        try {
            wanted.put(name("type", "Lunar"), new StandardMBean(new Root(), LunarMXBean.class, true));
            if (configs.get() != null) {
                wanted.put(name("type", "Configuration"), new StandardMBean(new ConfigurationOperations(configs),
                        ConfigurationMXBean.class, true));
            }
            TargetService ts = targets.get();
            if (ts != null) {
                for (TargetInfo t : ts.targets()) {
                    wanted.put(name("type", "Target", "name", t.name()),
                            new StandardMBean(new TargetView(t.name()), TargetMXBean.class, true));
                }
                for (SessionStats s : ts.sessionStats()) {
                    wanted.put(name("type", "Session", "tsih", Integer.toString(s.tsih())),
                            new StandardMBean(new SessionView(s.tsih()), SessionMXBean.class, true));
                }
                for (TransportInfo t : ts.transports()) {
                    wanted.put(name("type", "Transport", "kind", t.kind(), "bundle", t.bundle()),
                            new StandardMBean(new TransportView(t.kind(), t.bundle()), TransportMXBean.class, true));
                }
            }
            LunService ls = luns.get();
            if (ls != null) {
                for (LunStats l : ls.lunStats()) {
                    wanted.put(name("type", "Lun", "target", l.target(), "lun", Integer.toString(l.lun())),
                            new StandardMBean(new LunView(l.target(), l.lun()), LunMXBean.class, true));
                }
            }
        } catch (JMException | RuntimeException e) {
            LOG.warn("Could not read Lunar's state for JMX: {}", e.toString());
            return;
        }
        for (ObjectName n : new HashSet<>(registered)) {
            if (!wanted.containsKey(n)) {
                unregister(n);
            }
        }
        for (Map.Entry<ObjectName, Object> e : wanted.entrySet()) {
            if (!registered.contains(e.getKey())) {
                try {
                    server.registerMBean(e.getValue(), e.getKey());
                    registered.add(e.getKey());
                } catch (JMException ex) {
                    LOG.warn("Could not register {}: {}", e.getKey(), ex.toString());
                }
            }
        }
    }

    /** Names registered now (tests, logs). */
    synchronized Set<ObjectName> registered() {
        return Set.copyOf(registered);
    }

    synchronized void close() {
        closed = true;
        for (ObjectName n : new HashSet<>(registered)) {
            unregister(n);
        }
    }

    private void unregister(ObjectName n) {
        registered.remove(n);
        try {
            server.unregisterMBean(n);
        } catch (JMException e) {
            LOG.debug("{} was already gone", n);
        }
    }

    /** {@code dev.lunar:k1=v1,...}; values quoted, since IQNs and bundle names hold ':' and ' '. */
    static ObjectName name(String... keyValues) throws JMException {
        StringBuilder b = new StringBuilder(DOMAIN).append(':');
        for (int i = 0; i < keyValues.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            String v = keyValues[i + 1];
            b.append(keyValues[i]).append('=')
                    .append(i == 0 || v.matches("[A-Za-z0-9._-]+") ? v : ObjectName.quote(v));
        }
        return new ObjectName(b.toString());
    }

    // ------------------------------------------------------------------ views

    private abstract static class IoView implements IoCounters {
        abstract IoStats io();

        @Override
        public long getReads() {
            return io().reads();
        }

        @Override
        public long getWrites() {
            return io().writes();
        }

        @Override
        public long getOtherCommands() {
            return io().others();
        }

        @Override
        public long getBytesRead() {
            return io().bytesRead();
        }

        @Override
        public long getBytesWritten() {
            return io().bytesWritten();
        }

        @Override
        public long getErrors() {
            return io().errors();
        }

        @Override
        public long getReadLatencyP50Micros() {
            return io().readLatency().percentileMicros(0.5);
        }

        @Override
        public long getReadLatencyP99Micros() {
            return io().readLatency().percentileMicros(0.99);
        }

        @Override
        public long getWriteLatencyP50Micros() {
            return io().writeLatency().percentileMicros(0.5);
        }

        @Override
        public long getWriteLatencyP99Micros() {
            return io().writeLatency().percentileMicros(0.99);
        }
    }

    private final class LunView extends IoView implements LunMXBean {
        private final String target;
        private final int lun;

        LunView(String target, int lun) {
            this.target = target;
            this.lun = lun;
        }

        private LunStats stats() {
            LunService ls = luns.get();
            if (ls != null) {
                for (LunStats l : ls.lunStats()) {
                    if (l.target().equals(target) && l.lun() == lun) {
                        return l;
                    }
                }
            }
            throw new IllegalStateException("LUN " + lun + " of " + target + " is gone");
        }

        @Override
        IoStats io() {
            return stats().io();
        }

        @Override
        public String getName() {
            return stats().name();
        }

        @Override
        public String getTarget() {
            return target;
        }

        @Override
        public int getLun() {
            return lun;
        }
    }

    private final class SessionView extends IoView implements SessionMXBean {
        private final int tsih;

        SessionView(int tsih) {
            this.tsih = tsih;
        }

        private SessionStats stats() {
            TargetService ts = targets.get();
            if (ts != null) {
                for (SessionStats s : ts.sessionStats()) {
                    if (s.tsih() == tsih) {
                        return s;
                    }
                }
            }
            throw new IllegalStateException("session " + tsih + " is gone");
        }

        @Override
        IoStats io() {
            return stats().io();
        }

        @Override
        public int getTsih() {
            return tsih;
        }

        @Override
        public String getInitiator() {
            return stats().initiator();
        }

        @Override
        public String getTarget() {
            return stats().target();
        }

        @Override
        public void kill(String reason) {
            TargetService ts = targets.get();
            if (ts == null || ts.killSession(tsih, reason).isEmpty()) {
                throw new IllegalStateException("session " + tsih + " is gone");
            }
        }
    }

    private final class TargetView implements TargetMXBean {
        private final String name;

        TargetView(String name) {
            this.name = name;
        }

        private TargetInfo info() {
            TargetService ts = targets.get();
            if (ts != null) {
                for (TargetInfo t : ts.targets()) {
                    if (t.name().equals(name)) {
                        return t;
                    }
                }
            }
            throw new IllegalStateException("target " + name + " is gone");
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getIqn() {
            return info().iqn();
        }

        @Override
        public String getAuth() {
            return info().auth();
        }

        @Override
        public int getSessions() {
            return info().sessions();
        }
    }

    private final class TransportView implements TransportMXBean {
        private final String kind;
        private final String bundle;

        TransportView(String kind, String bundle) {
            this.kind = kind;
            this.bundle = bundle;
        }

        private TransportInfo info() {
            TargetService ts = targets.get();
            if (ts != null) {
                for (TransportInfo t : ts.transports()) {
                    if (t.kind().equals(kind) && t.bundle().equals(bundle)) {
                        return t;
                    }
                }
            }
            throw new IllegalStateException("transport " + kind + " (" + bundle + ") is gone");
        }

        @Override
        public String getKind() {
            return kind;
        }

        @Override
        public String getWire() {
            return info().wire();
        }

        @Override
        public String getBundle() {
            return bundle;
        }

        @Override
        public String[] getPortals() {
            return info().portals().toArray(new String[0]);
        }

        @Override
        public int getConnections() {
            return info().connections();
        }
    }

    private final class Root implements LunarMXBean {
        @Override
        public String killSession(int tsih, String reason) {
            TargetService ts = requireTargets();
            var stage = ts.killSession(tsih, reason);
            if (stage.isEmpty()) {
                throw new IllegalArgumentException("no session with TSIH " + tsih);
            }
            try {
                // A JMX call runs on a management (RMI) thread, never an I/O thread: a bounded wait is fine.
                stage.get().toCompletableFuture().get(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
                return "session " + tsih + " ended";
            } catch (java.util.concurrent.TimeoutException e) {
                return "session " + tsih + " asked to log out; still ending after " + KILL_WAIT_SECONDS + " s";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted while session " + tsih + " was ending";
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("ending session " + tsih + " failed: " + e.getCause(), e);
            }
        }

        @Override
        public String moveConnections(String fromKind, String toKind, int tsih) {
            MoveReport r = requireTargets().moveConnections(fromKind, toKind,
                    tsih > 0 ? Optional.of(tsih) : Optional.empty());
            return "moved " + r.moved() + ", failed " + r.failed();
        }

        private TargetService requireTargets() {
            TargetService ts = targets.get();
            if (ts == null) {
                throw new IllegalStateException("the iSCSI engine is not running");
            }
            return ts;
        }
    }
}
