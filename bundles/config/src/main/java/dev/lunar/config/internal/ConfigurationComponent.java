package dev.lunar.config.internal;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ImportReport;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PlanStep;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lunar's {@link ConfigurationService}: targets, portals, LUNs and ACLs as Config Admin factory
 * configurations kept in {@code etc/} (DESIGN.md §3.6), changed one at a time or as a whole
 * desired-state document.
 *
 * <p>Every change is checked before anything is written ({@link ConfigRules}); an apply checks the
 * whole document first and then makes only the changes that differ, so the components of
 * unchanged objects see no event and their sessions nothing at all. Changes are serialised by one
 * lock; reads need none. Calls block on Config Admin and file I/O: never call from an I/O thread.
 * Secrets leave this class only through {@link #export()}; lists, plans and the log carry
 * {@link ConfigObject#redacted()} copies or names. At rest, each secret lives in an owner-only file
 * under {@code etc/lunar-secrets/} and the {@code .cfg} holds a {@code $[secret:...]} reference that
 * Config Admin resolves for the consuming component only ({@link SecretFiles}).
 */
@Component(service = ConfigurationService.class)
public final class ConfigurationComponent implements ConfigurationService {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigurationComponent.class);

    private final ConfigAdminObjects objects;
    private final Object changeLock = new Object();

    // Optional: without the iSCSI engine there are no sessions, and configuration must still be
    // editable (for instance to repair the file that keeps the engine from starting).
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile TargetService targetService;

    @Activate
    public ConfigurationComponent(@Reference(name = "configurationAdmin") ConfigurationAdmin admin,
            BundleContext context) {
        this.objects = new ConfigAdminObjects(admin, etcDirectory(context), secretCharset(context));
    }

    /**
     * The charset Config Admin's interpolation plugin decodes secret files with: its
     * {@value #SECRET_ENCODING} framework property, else the JVM default (the plugin runs in this
     * JVM, so the default is the same).
     */
    private static java.nio.charset.Charset secretCharset(BundleContext context) {
        String name = context.getProperty(SECRET_ENCODING);
        try {
            return name == null || name.isBlank() ? java.nio.charset.Charset.defaultCharset()
                    : java.nio.charset.Charset.forName(name.trim());
        } catch (RuntimeException e) {
            return java.nio.charset.Charset.defaultCharset();
        }
    }

    static final String SECRET_ENCODING = "org.apache.felix.configadmin.plugin.interpolation.file.encoding";

    /** Outside Karaf (tests): {@code etc} may be {@code null}, then no files are written. */
    ConfigurationComponent(ConfigurationAdmin admin, Path etc) {
        this.objects = new ConfigAdminObjects(admin, etc);
    }

    private static Path etcDirectory(BundleContext context) {
        String etc = context.getProperty("karaf.etc");
        return etc == null || etc.isBlank() ? null : Path.of(etc);
    }

    @Override
    public List<ConfigObject> list(ObjectKind kind) {
        Objects.requireNonNull(kind, "kind");
        return objects.all(kind).values().stream().map(s -> s.object().redacted()).toList();
    }

    @Override
    public Optional<ConfigObject> get(ObjectKind kind, String name) {
        Objects.requireNonNull(kind, "kind");
        return objects.find(kind, name).map(s -> s.object().redacted());
    }

    @Override
    public ConfigObject create(ObjectKind kind, String name, Map<String, String> properties) {
        Objects.requireNonNull(kind, "kind");
        ConfigRules.checkName(kind, name);
        ConfigObject created = new ConfigObject(kind, name, withoutNulls(properties));
        try (ThreadNameRedaction hidden = ThreadNameRedaction.hide(created.properties())) {
            return createChecked(created);
        }
    }

    private ConfigObject createChecked(ConfigObject created) {
        ObjectKind kind = created.kind();
        String name = created.name();
        synchronized (changeLock) {
            if (objects.find(kind, name).isPresent()) {
                throw new IllegalArgumentException(kind.label() + " '" + name + "' exists already; change it with "
                        + "update or choose another name");
            }
            ConfigRules.checkObject(created);
            List<ConfigObject> after = currentObjects();
            after.add(created);
            ConfigRules.checkTogether(after, o -> o == created);
            try {
                objects.create(created);
            } catch (IOException e) {
                throw new UncheckedIOException("could not create " + kind.label() + " '" + name + "': "
                        + e.getMessage(), e);
            }
            LOG.info("Created {} '{}'", kind.label(), name);
        }
        return created.redacted();
    }

    @Override
    public ConfigObject update(ObjectKind kind, String name, Map<String, String> set, List<String> remove) {
        Objects.requireNonNull(kind, "kind");
        try (ThreadNameRedaction hidden = ThreadNameRedaction.hide(set == null ? Map.of() : set)) {
            return updateChecked(kind, name, set, remove);
        }
    }

    private ConfigObject updateChecked(ObjectKind kind, String name, Map<String, String> set, List<String> remove) {
        synchronized (changeLock) {
            ConfigAdminObjects.Stored stored = existing(kind, name);
            Map<String, String> next = new TreeMap<>(stored.object().properties());
            if (remove != null) {
                remove.forEach(next::remove);
            }
            if (set != null) {
                set.forEach((k, v) -> {
                    if (v == null) {
                        next.remove(k);
                    } else {
                        next.put(k, v);
                    }
                });
            }
            ConfigObject changed = new ConfigObject(kind, name, next);
            // Unchanged, unless a secret written inline by hand can move to its own file now
            // (lunar:chap-set with the same secret migrates it).
            if (changed.equals(stored.object()) && !objects.hasInlineSecret(stored)) {
                return changed.redacted();
            }
            ConfigRules.checkObject(changed);
            List<ConfigObject> after = currentObjects();
            after.replaceAll(o -> o.kind() == kind && o.name().equals(name) ? changed : o);
            ConfigRules.checkTogether(after, o -> o == changed);
            try {
                objects.update(stored, changed);
            } catch (IOException e) {
                throw new UncheckedIOException("could not update " + kind.label() + " '" + name + "': "
                        + e.getMessage(), e);
            }
            LOG.info("Updated {} '{}': {}", kind.label(), name, changedKeys(stored.object(), changed));
            return changed.redacted();
        }
    }

    @Override
    public void delete(ObjectKind kind, String name, boolean force) {
        Objects.requireNonNull(kind, "kind");
        synchronized (changeLock) {
            ConfigAdminObjects.Stored stored = existing(kind, name);
            String users = sessionsUsing(stored.object());
            if (!users.isEmpty()) {
                if (!force) {
                    throw new IllegalStateException(kind.label() + " '" + name + "' is in use by " + users
                            + "; log them out first, or delete with force to cut them off");
                }
                LOG.warn("Deleting {} '{}' although it is in use by {} (forced)", kind.label(), name, users);
            }
            try {
                objects.delete(stored);
            } catch (IOException e) {
                throw new UncheckedIOException("could not delete " + kind.label() + " '" + name + "': "
                        + e.getMessage(), e);
            }
            LOG.info("Deleted {} '{}'", kind.label(), name);
        }
    }

    @Override
    public ConfigDocument export() {
        return new ConfigDocument(ConfigDocument.VERSION, currentObjects());
    }

    @Override
    public ApplyPlan apply(ConfigDocument desired, boolean dryRun) {
        Objects.requireNonNull(desired, "desired");
        if (desired.version() != ConfigDocument.VERSION) {
            throw new IllegalArgumentException("document version " + desired.version() + " is not supported; this "
                    + "Lunar reads version " + ConfigDocument.VERSION);
        }
        checkUnique(desired);
        // The whole document first: nothing changes unless all of it is valid.
        desired.objects().forEach(ConfigRules::checkObject);
        ConfigRules.checkTogether(desired.objects(), o -> true);
        synchronized (changeLock) {
            Map<ObjectKind, Map<String, ConfigAdminObjects.Stored>> current = new HashMap<>();
            for (ObjectKind kind : ObjectKind.values()) {
                current.put(kind, objects.all(kind));
            }
            List<Change> changes = ApplyPlanner.plan(current, desired);
            for (Change change : changes) {
                if (change.step().action() == PlanStep.Action.DELETE) {
                    String users = sessionsUsing(change.stored().object());
                    if (!users.isEmpty()) {
                        throw new IllegalStateException("the document deletes " + change.step().kind().label() + " '"
                                + change.step().name() + "', which is in use by " + users + "; log them out first "
                                + "(nothing was changed)");
                    }
                }
            }
            List<PlanStep> steps = changes.stream().map(Change::step).toList();
            if (!dryRun) {
                execute(changes);
            }
            return new ApplyPlan(steps, !dryRun);
        }
    }

    /** One step of a plan and what it works on. */
    record Change(PlanStep step, ConfigAdminObjects.Stored stored, ConfigObject desired) {
    }

    private void execute(List<Change> changes) {
        List<String> done = new ArrayList<>();
        for (Change change : changes) {
            PlanStep step = change.step();
            try {
                switch (step.action()) {
                    case CREATE -> objects.create(change.desired());
                    case UPDATE -> objects.update(change.stored(), change.desired());
                    case DELETE -> objects.delete(change.stored());
                }
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("apply stopped at " + describe(step) + " (" + e.getMessage() + ")"
                        + (done.isEmpty() ? "; nothing was changed" : "; already done: " + String.join(", ", done)), e);
            }
            done.add(describe(step));
            LOG.info("Apply: {}", describe(step));
        }
    }

    private static String describe(PlanStep step) {
        return step.action().name().toLowerCase(java.util.Locale.ROOT) + " " + step.kind().label() + " '"
                + step.name() + "'";
    }

    @Override
    public String toJson(ConfigDocument document) {
        return DocumentJson.write(Objects.requireNonNull(document, "document"));
    }

    @Override
    public ConfigDocument parseJson(String json) {
        return DocumentJson.read(json);
    }

    @Override
    public ImportReport importLio(String saveconfigJson) {
        return LioImporter.convert(saveconfigJson);
    }

    private ConfigAdminObjects.Stored existing(ObjectKind kind, String name) {
        return objects.find(kind, name).orElseThrow(() -> new IllegalArgumentException("there is no " + kind.label()
                + " '" + name + "'; existing: " + names(kind)));
    }

    private String names(ObjectKind kind) {
        Set<String> names = objects.all(kind).keySet();
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private List<ConfigObject> currentObjects() {
        return objects.everything().stream().map(ConfigAdminObjects.Stored::object)
                .collect(Collectors.toCollection(ArrayList::new));
    }

    /**
     * The sessions that depend on a target, or on the target of a LUN, as "initiator (TSIH n)";
     * empty when none or when the iSCSI engine is not there.
     */
    private String sessionsUsing(ConfigObject o) {
        String key = switch (o.kind()) {
            case TARGET -> ConfigPids.TARGET_IQN;
            case LUN -> ConfigPids.LUN_TARGET;
            default -> null;
        };
        TargetService sessions = targetService;
        if (key == null || sessions == null || o.properties().get(key) == null) {
            return "";
        }
        String iqn = IscsiNames.canonical(o.properties().get(key));
        List<String> users = new ArrayList<>();
        for (SessionInfo s : sessions.sessions()) {
            if (s.target() != null && IscsiNames.canonical(s.target()).equals(iqn)) {
                users.add(s.initiator() + " (TSIH " + s.tsih() + ")");
            }
        }
        return users.isEmpty() ? "" : users.size() + (users.size() == 1 ? " session: " : " sessions: ")
                + String.join(", ", users);
    }

    private static void checkUnique(ConfigDocument desired) {
        Set<String> seen = new java.util.HashSet<>();
        for (ConfigObject o : desired.objects()) {
            if (!seen.add(o.kind() + "/" + o.name())) {
                throw new IllegalArgumentException("the document has " + o.kind().label() + " '" + o.name()
                        + "' twice; every name may appear once per kind");
            }
        }
    }

    private static Map<String, String> withoutNulls(Map<String, String> properties) {
        Map<String, String> clean = new TreeMap<>();
        if (properties != null) {
            properties.forEach((k, v) -> {
                if (k != null && v != null) {
                    clean.put(k, v);
                }
            });
        }
        return clean;
    }

    /** Key names whose value changed: the log never carries values, which may be secrets. */
    private static Set<String> changedKeys(ConfigObject before, ConfigObject after) {
        Set<String> keys = new java.util.TreeSet<>(before.properties().keySet());
        keys.addAll(after.properties().keySet());
        keys.removeIf(k -> Objects.equals(before.properties().get(k), after.properties().get(k)));
        return keys;
    }
}
