package dev.lunar.scsi.internal.osgi;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The factory configurations Config Admin already stores for one factory PID, read at once: the
 * stored-configuration loaders put them into the core before Config Admin has delivered each one
 * to its component (asynchronously, maybe after the first nexus opened).
 */
final class StoredConfigurations {

    /** One stored configuration: its PID and its properties. */
    record Stored(String pid, Map<String, Object> properties) {
    }

    private StoredConfigurations() {
    }

    /**
     * Every stored configuration of {@code factoryPid} that has properties. May block briefly on
     * Config Admin; called on an SCR thread.
     */
    static List<Stored> of(ConfigurationAdmin cm, String factoryPid) throws IOException {
        Configuration[] stored;
        try {
            stored = cm.listConfigurations("(service.factoryPid=" + factoryPid + ")");
        } catch (InvalidSyntaxException e) {
            throw new IOException("bad factory PID " + factoryPid, e);
        }
        List<Stored> out = new ArrayList<>();
        for (Configuration c : stored == null ? new Configuration[0] : stored) {
            Dictionary<String, Object> properties = c.getProperties();
            if (properties != null) {
                out.add(new Stored(c.getPid(), toMap(properties)));
            }
        }
        return out;
    }

    private static Map<String, Object> toMap(Dictionary<String, Object> properties) {
        Map<String, Object> map = new HashMap<>();
        for (Enumeration<String> keys = properties.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            map.put(key, properties.get(key));
        }
        return map;
    }
}
