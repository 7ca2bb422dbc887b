package dev.lunar.metrics.internal;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PlanStep;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import javax.management.MBeanException;

/**
 * {@code dev.lunar:type=Configuration}: the shell's configuration commands over JMX, delegating to
 * {@link ConfigurationService}. Lists and plans are redacted; only {@link #exportJson()} carries
 * secrets, and Karaf's JMX guard lets only the {@code admin} role call it and every operation that
 * changes something ({@code etc/jmx.acl.dev.lunar.cfg}); {@code viewer} may read.
 *
 * <p>Runs on JMX (RMI) threads and blocks on Config Admin and file I/O, as the service does. A
 * mistake comes back as {@link IllegalArgumentException} with the service's sentence; a refusal
 * because of state (in use, apply stopped) as {@link MBeanException} wrapping a plain
 * {@link Exception} with that sentence, so a remote client needs none of Lunar's classes.
 */
final class ConfigurationOperations implements LunarMBeans.ConfigurationMXBean {

    private final Supplier<ConfigurationService> service;

    ConfigurationOperations(Supplier<ConfigurationService> service) {
        this.service = service;
    }

    @Override
    public String[] getKinds() {
        return Arrays.stream(ObjectKind.values()).map(ObjectKind::label).toArray(String[]::new);
    }

    @Override
    public Map<String, Map<String, String>> list(String kind) throws MBeanException {
        return call(() -> {
            Map<String, Map<String, String>> byName = new TreeMap<>();
            for (ConfigObject o : service().list(kind(kind))) {
                byName.put(o.name(), new TreeMap<>(o.redacted().properties()));
            }
            return byName;
        });
    }

    @Override
    public Map<String, String> get(String kind, String name) throws MBeanException {
        return call(() -> service().get(kind(kind), name).map(o -> (Map<String, String>) new TreeMap<>(
                o.redacted().properties())).orElseThrow(() -> new IllegalArgumentException("there is no "
                + kind(kind).label() + " '" + name + "'")));
    }

    @Override
    public Map<String, String> create(String kind, String name, Map<String, String> properties) throws MBeanException {
        return call(() -> new TreeMap<>(service().create(kind(kind), name, orEmpty(properties)).redacted()
                .properties()));
    }

    @Override
    public Map<String, String> update(String kind, String name, Map<String, String> set, String[] remove)
            throws MBeanException {
        return call(() -> new TreeMap<>(service().update(kind(kind), name, orEmpty(set),
                remove == null ? List.of() : List.of(remove)).redacted().properties()));
    }

    @Override
    public void delete(String kind, String name, boolean force) throws MBeanException {
        call(() -> {
            service().delete(kind(kind), name, force);
            return null;
        });
    }

    @Override
    public String exportJson() throws MBeanException {
        return call(() -> service().toJson(service().export()));
    }

    @Override
    public String applyJson(String json, boolean dryRun) throws MBeanException {
        return call(() -> {
            ConfigurationService s = service();
            return planText(s.apply(s.parseJson(Objects.requireNonNull(json, "json")), dryRun));
        });
    }

    /** The plan as the shell's {@code lunar:apply} tells it: one line per step, then the outcome. */
    static String planText(ApplyPlan plan) {
        StringBuilder text = new StringBuilder();
        for (PlanStep step : plan.steps()) {
            text.append(step.action().name().toLowerCase(Locale.ROOT)).append(' ').append(step.kind().label())
                    .append(" '").append(step.name()).append('\'');
            String changes = changes(step);
            if (!changes.isEmpty()) {
                text.append(": ").append(changes);
            }
            text.append('\n');
        }
        int n = plan.steps().size();
        if (n == 0) {
            text.append("nothing to change");
        } else {
            text.append(n).append(n == 1 ? " change" : " changes").append(plan.applied() ? " applied" : " (dry run,"
                    + " nothing changed)");
        }
        return text.toString();
    }

    private static String changes(PlanStep step) {
        Map<String, String> before = step.before();
        Map<String, String> after = step.after();
        List<String> parts = new java.util.ArrayList<>();
        switch (step.action()) {
            case CREATE -> after.forEach((k, v) -> parts.add(k + "=" + v));
            case DELETE -> { }
            case UPDATE -> {
                TreeSet<String> keys = new TreeSet<>(before.keySet());
                keys.addAll(after.keySet());
                for (String k : keys) {
                    String was = before.get(k);
                    String is = after.get(k);
                    if (!Objects.equals(was, is)) {
                        parts.add(k + ": " + (was == null ? "(none)" : was) + " -> " + (is == null ? "(removed)" : is));
                    }
                }
            }
        }
        return String.join(", ", parts);
    }

    private ConfigurationService service() {
        ConfigurationService s = service.get();
        if (s == null) {
            throw new IllegalStateException("Lunar's configuration service is not running");
        }
        return s;
    }

    private static ObjectKind kind(String kind) {
        if (kind == null) {
            throw new IllegalArgumentException("kind is missing: use target, portal, lun or acl");
        }
        return ObjectKind.of(kind.trim());
    }

    private static Map<String, String> orEmpty(Map<String, String> m) {
        return m == null ? Map.of() : new LinkedHashMap<>(m);
    }

    /** The service's work, with its exceptions in forms a remote JMX client can read. */
    private static <T> T call(Supplier<T> work) throws MBeanException {
        try {
            return work.get();
        } catch (IllegalArgumentException e) {
            // A plain copy: the sentence, not the service's stack or classes.
            throw new IllegalArgumentException(e.getMessage());
        } catch (RuntimeException e) {
            throw new MBeanException(new Exception(e.getMessage()), e.getMessage());
        }
    }
}
