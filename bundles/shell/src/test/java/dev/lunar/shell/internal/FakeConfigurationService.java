package dev.lunar.shell.internal;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ImportReport;
import dev.lunar.api.ObjectKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Configuration objects in memory, with the service's contract where the shell relies on it
 * (duplicates and unknown names refused, reads redacted); stored objects keep their secrets so
 * tests can check what was written.
 */
final class FakeConfigurationService implements ConfigurationService {

    final Map<ObjectKind, Map<String, ConfigObject>> stored = new EnumMap<>(ObjectKind.class);
    final List<String> deletes = new ArrayList<>();

    FakeConfigurationService() {
        for (ObjectKind kind : ObjectKind.values()) {
            stored.put(kind, new TreeMap<>());
        }
    }

    FakeConfigurationService with(ObjectKind kind, String name, Map<String, String> properties) {
        stored.get(kind).put(name, new ConfigObject(kind, name, properties));
        return this;
    }

    /** What was written, secrets included. */
    Map<String, String> properties(ObjectKind kind, String name) {
        ConfigObject o = stored.get(kind).get(name);
        return o == null ? null : o.properties();
    }

    @Override
    public List<ConfigObject> list(ObjectKind kind) {
        return stored.get(kind).values().stream().map(ConfigObject::redacted).toList();
    }

    @Override
    public Optional<ConfigObject> get(ObjectKind kind, String name) {
        return Optional.ofNullable(stored.get(kind).get(name)).map(ConfigObject::redacted);
    }

    @Override
    public ConfigObject create(ObjectKind kind, String name, Map<String, String> properties) {
        if (stored.get(kind).containsKey(name)) {
            throw new IllegalArgumentException(kind.label() + " '" + name + "' exists already");
        }
        with(kind, name, properties);
        return get(kind, name).orElseThrow();
    }

    @Override
    public ConfigObject update(ObjectKind kind, String name, Map<String, String> set, List<String> remove) {
        ConfigObject o = stored.get(kind).get(name);
        if (o == null) {
            throw new IllegalArgumentException("there is no " + kind.label() + " '" + name + "'");
        }
        Map<String, String> p = new TreeMap<>(o.properties());
        p.putAll(set);
        remove.forEach(p::remove);
        with(kind, name, p);
        return get(kind, name).orElseThrow();
    }

    @Override
    public void delete(ObjectKind kind, String name, boolean force) {
        if (stored.get(kind).remove(name) == null) {
            throw new IllegalArgumentException("there is no " + kind.label() + " '" + name + "'");
        }
        deletes.add(kind.label() + ":" + name + (force ? ":force" : ""));
    }

    @Override
    public ConfigDocument export() {
        throw new UnsupportedOperationException();
    }

    @Override
    public ApplyPlan apply(ConfigDocument desired, boolean dryRun) {
        throw new UnsupportedOperationException();
    }

    @Override
    public String toJson(ConfigDocument document) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ConfigDocument parseJson(String json) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ImportReport importLio(String saveconfigJson) {
        throw new UnsupportedOperationException();
    }
}
