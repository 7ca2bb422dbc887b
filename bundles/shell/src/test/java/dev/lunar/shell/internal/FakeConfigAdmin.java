package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Config Admin with one configuration, {@code dev.lunar.iscsi}, whose properties live in a map the
 * test reads; it starts with an unrelated key so tests see it is kept.
 */
final class FakeConfigAdmin {

    private FakeConfigAdmin() {
    }

    static ConfigurationAdmin of(Map<String, Object> stored) {
        stored.put("queueDepth", 64);
        Configuration configuration = (Configuration) Proxy.newProxyInstance(FakeConfigAdmin.class.getClassLoader(),
                new Class<?>[] {Configuration.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperties" -> new Hashtable<>(stored);
                    case "update" -> {
                        @SuppressWarnings("unchecked")
                        Dictionary<String, Object> d = (Dictionary<String, Object>) args[0];
                        stored.clear();
                        for (String key : Collections.list(d.keys())) {
                            stored.put(key, d.get(key));
                        }
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (ConfigurationAdmin) Proxy.newProxyInstance(FakeConfigAdmin.class.getClassLoader(),
                new Class<?>[] {ConfigurationAdmin.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConfiguration") && ConfigPids.ISCSI.equals(args[0])
                            && args.length == 2 && args[1] == null) {
                        return configuration;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
