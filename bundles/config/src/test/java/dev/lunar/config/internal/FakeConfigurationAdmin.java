package dev.lunar.config.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * An in-memory Config Admin that counts what happens to each configuration: enough of Felix's
 * behaviour (named factory configurations {@code <factoryPid>~<name>}, {@code service.pid} and
 * {@code service.factoryPid} in the properties, no listing before the first update) to test the
 * service without a framework.
 */
final class FakeConfigurationAdmin implements ConfigurationAdmin {

    final Map<String, FakeConfiguration> configurations = new LinkedHashMap<>();
    /** Every update (changing or not) and delete, in order: "update pid", "delete pid". */
    final List<String> calls = new ArrayList<>();
    /** Runs on the caller's thread at every configuration update (tests look at that thread). */
    Runnable onUpdate = () -> { };
    private final AtomicInteger generated = new AtomicInteger();

    /** Adds a configuration as Karaf's file installer would have made it. */
    FakeConfiguration put(String pid, String factoryPid, Map<String, ?> properties) {
        FakeConfiguration c = new FakeConfiguration(pid, factoryPid);
        Hashtable<String, Object> props = new Hashtable<>(properties);
        c.properties = withPids(c, props);
        configurations.put(pid, c);
        return c;
    }

    int updates(String pid) {
        return (int) calls.stream().filter(s -> s.equals("update " + pid)).count();
    }

    @Override
    public Configuration createFactoryConfiguration(String factoryPid) {
        return createFactoryConfiguration(factoryPid, null);
    }

    @Override
    public Configuration createFactoryConfiguration(String factoryPid, String location) {
        String pid = factoryPid + "." + generated.incrementAndGet();
        FakeConfiguration c = new FakeConfiguration(pid, factoryPid);
        configurations.put(pid, c);
        return c;
    }

    @Override
    public Configuration getConfiguration(String pid, String location) {
        return configurations.computeIfAbsent(pid, p -> new FakeConfiguration(p, null));
    }

    @Override
    public Configuration getConfiguration(String pid) {
        return getConfiguration(pid, null);
    }

    @Override
    public Configuration getFactoryConfiguration(String factoryPid, String name, String location) {
        return configurations.computeIfAbsent(factoryPid + "~" + name, p -> new FakeConfiguration(p, factoryPid));
    }

    @Override
    public Configuration getFactoryConfiguration(String factoryPid, String name) {
        return getFactoryConfiguration(factoryPid, name, null);
    }

    /** Understands only {@code (service.factoryPid=X)}, which is all the service asks. */
    @Override
    public Configuration[] listConfigurations(String filter) {
        String prefix = "(service.factoryPid=";
        if (filter == null || !filter.startsWith(prefix) || !filter.endsWith(")")) {
            throw new UnsupportedOperationException("filter " + filter);
        }
        String factoryPid = filter.substring(prefix.length(), filter.length() - 1);
        Configuration[] found = configurations.values().stream()
                .filter(c -> c.properties != null && factoryPid.equals(c.factoryPid))
                .toArray(Configuration[]::new);
        return found.length == 0 ? null : found;
    }

    private static Hashtable<String, Object> withPids(FakeConfiguration c, Dictionary<String, ?> given) {
        Hashtable<String, Object> props = new Hashtable<>();
        for (Enumeration<String> keys = given.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            props.put(k, given.get(k));
        }
        props.put("service.pid", c.pid);
        if (c.factoryPid != null) {
            props.put("service.factoryPid", c.factoryPid);
        }
        return props;
    }

    final class FakeConfiguration implements Configuration {
        final String pid;
        final String factoryPid;
        Hashtable<String, Object> properties;
        boolean deleted;
        long changeCount;

        FakeConfiguration(String pid, String factoryPid) {
            this.pid = pid;
            this.factoryPid = factoryPid;
        }

        @Override
        public String getPid() {
            return pid;
        }

        @Override
        public Dictionary<String, Object> getProperties() {
            return properties == null ? null : new Hashtable<>(properties);
        }

        @Override
        public Dictionary<String, Object> getProcessedProperties(ServiceReference<?> reference) {
            return getProperties();
        }

        @Override
        public void update(Dictionary<String, ?> props) {
            if (deleted) {
                throw new IllegalStateException("deleted");
            }
            calls.add("update " + pid);
            properties = withPids(this, props);
            changeCount++;
            onUpdate.run();
        }

        @Override
        public void delete() {
            calls.add("delete " + pid);
            deleted = true;
            configurations.remove(pid);
        }

        @Override
        public String getFactoryPid() {
            return factoryPid;
        }

        @Override
        public void update() {
            calls.add("update " + pid);
        }

        @Override
        public boolean updateIfDifferent(Dictionary<String, ?> props) {
            Hashtable<String, Object> next = withPids(this, props);
            if (next.equals(properties)) {
                return false;
            }
            update(props);
            return true;
        }

        @Override
        public void setBundleLocation(String location) {
        }

        @Override
        public String getBundleLocation() {
            return null;
        }

        @Override
        public long getChangeCount() {
            return changeCount;
        }

        @Override
        public void addAttributes(ConfigurationAttribute... attrs) {
        }

        @Override
        public Set<ConfigurationAttribute> getAttributes() {
            return Collections.unmodifiableSet(EnumSet.noneOf(ConfigurationAttribute.class));
        }

        @Override
        public void removeAttributes(ConfigurationAttribute... attrs) {
        }
    }

    static Map<String, Object> map(String... keyValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
