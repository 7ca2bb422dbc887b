package dev.lunar.api;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One configuration object as the operator sees it: its kind, its name (unique per kind; the
 * {@code NAME} of {@code etc/<pid>-NAME.cfg}) and its properties as strings, exactly the keys of
 * {@link ConfigPids}. Framework bookkeeping ({@code service.pid}, {@code felix.fileinstall.filename},
 * ...) is never part of it. Properties are kept sorted so documents and plans are stable.
 */
public record ConfigObject(ObjectKind kind, String name, Map<String, String> properties) {

    public ConfigObject {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        properties = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(properties));
    }

    /** A copy whose secret values (see {@link ConfigPids#isSecret}) read {@code ********}. */
    public ConfigObject redacted() {
        Map<String, String> p = new TreeMap<>(properties);
        p.replaceAll((k, v) -> ConfigPids.isSecret(k) && !v.isEmpty() ? "********" : v);
        return new ConfigObject(kind, name, p);
    }
}
