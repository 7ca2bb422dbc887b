package dev.lunar.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ImportReport;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PlanStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.management.JMX;
import javax.management.MBeanException;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConfigurationOperationsTest {

    private static final String IQN = "iqn.2026-11.dev.lunar:jmx";

    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private final FakeServices services = new FakeServices();
    private final InMemoryConfigurations configs = new InMemoryConfigurations();
    private ConfigurationService bound = configs;
    private final LunarMBeans mbeans = new LunarMBeans(server, () -> services, () -> services, () -> bound);
    private final ObjectName name = name();

    private static ObjectName name() {
        try {
            return new ObjectName("dev.lunar:type=Configuration");
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void tearDown() {
        mbeans.close();
    }

    private LunarMBeans.ConfigurationMXBean proxy() {
        mbeans.sync();
        return JMX.newMXBeanProxy(server, name, LunarMBeans.ConfigurationMXBean.class);
    }

    @Test
    void createListUpdateDeleteThroughJmxRedactSecrets() throws Exception {
        LunarMBeans.ConfigurationMXBean jmx = proxy();
        assertArrayEquals(new String[] {"target", "portal", "lun", "acl"}, jmx.getKinds());
        Map<String, String> created = jmx.create("target", "t", Map.of("iqn", IQN, "chapUser", "u",
                "chapSecret", "very-secret-1"));
        assertEquals("********", created.get("chapSecret"));
        assertEquals("very-secret-1", configs.objects.get("target/t").properties().get("chapSecret"),
                "the service received the real value");
        Map<String, Map<String, String>> listed = jmx.list("target");
        assertEquals(List.of("t"), List.copyOf(listed.keySet()));
        assertEquals("********", listed.get("t").get("chapSecret"));
        assertEquals(IQN, jmx.get("TARGET", "t").get("iqn"), "kinds are case-insensitive");

        Map<String, String> updated = jmx.update("target", "t", Map.of("alias", "disk"), new String[] {"chapUser",
                "chapSecret"});
        assertEquals(Map.of("iqn", IQN, "alias", "disk"), updated);

        jmx.delete("target", "t", false);
        assertTrue(jmx.list("target").isEmpty());
        assertEquals(List.of("create target t", "update target t", "delete target t false"), configs.calls);
    }

    @Test
    void exportCarriesSecretsAndApplyReturnsThePlanAsText() throws Exception {
        LunarMBeans.ConfigurationMXBean jmx = proxy();
        jmx.create("target", "t", Map.of("iqn", IQN, "chapSecret", "very-secret-1"));
        assertTrue(jmx.exportJson().contains("very-secret-1"), "export is the full document (admin only)");

        String dry = jmx.applyJson("doc", true);
        assertEquals("create target 'n': iqn=" + IQN + "\n"
                + "update target 't': alias: (none) -> x, chapSecret: ******** -> ******** (changed)\n"
                + "delete lun 'old'\n"
                + "3 changes (dry run, nothing changed)", dry);
        assertEquals(List.of(true), configs.dryRuns);
        assertTrue(jmx.applyJson("doc", false).endsWith("3 changes applied"));
        configs.plan = List.of();
        assertEquals("nothing to change", jmx.applyJson("doc", false));
    }

    @Test
    void mistakesComeBackAsTheServicesSentence() throws Exception {
        mbeans.sync();
        // Through the MBeanServer as a remote client sees it: no Lunar classes needed.
        RuntimeMBeanException bad = assertThrows(RuntimeMBeanException.class, () -> server.invoke(name, "create",
                new Object[] {"target", "t", null}, new String[] {"java.lang.String", "java.lang.String",
                    "javax.management.openmbean.TabularData"}));
        assertInstanceOf(IllegalArgumentException.class, bad.getCause());
        assertEquals("target 't' has no 'iqn'; set it", bad.getCause().getMessage());

        RuntimeMBeanException kind = assertThrows(RuntimeMBeanException.class, () -> server.invoke(name, "list",
                new Object[] {"volume"}, new String[] {"java.lang.String"}));
        assertEquals("unknown kind 'volume': use target, portal, lun or acl", kind.getCause().getMessage());

        LunarMBeans.ConfigurationMXBean jmx = proxy();
        jmx.create("target", "t", Map.of("iqn", IQN));
        configs.inUse = true;
        MBeanException inUse = assertThrows(MBeanException.class, () -> jmx.delete("target", "t", false));
        assertEquals("target 't' is in use by 1 session: iqn.x (TSIH 1); log them out first",
                inUse.getTargetException().getMessage());
        assertEquals(Exception.class, inUse.getTargetException().getClass(), "a plain exception crosses the wire");
        jmx.delete("target", "t", true);
    }

    @Test
    void registeredOnlyWhileTheServiceIsThere() throws Exception {
        bound = null;
        mbeans.sync();
        assertFalse(server.isRegistered(name));
        bound = configs;
        mbeans.sync();
        assertTrue(server.isRegistered(name));
        bound = null;
        mbeans.sync();
        assertFalse(server.isRegistered(name));
    }

    /** Just enough of the service: objects in a map, checks that produce its kind of sentences. */
    static final class InMemoryConfigurations implements ConfigurationService {
        final Map<String, ConfigObject> objects = new TreeMap<>();
        final List<String> calls = new ArrayList<>();
        final List<Boolean> dryRuns = new ArrayList<>();
        boolean inUse;
        List<PlanStep> plan = List.of(
                new PlanStep(PlanStep.Action.CREATE, ObjectKind.TARGET, "n", Map.of(), Map.of("iqn", IQN)),
                new PlanStep(PlanStep.Action.UPDATE, ObjectKind.TARGET, "t", Map.of("chapSecret", "********"),
                        new TreeMap<>(Map.of("alias", "x", "chapSecret", "******** (changed)"))),
                new PlanStep(PlanStep.Action.DELETE, ObjectKind.LUN, "old", Map.of("lun", "3"), Map.of()));

        @Override
        public List<ConfigObject> list(ObjectKind kind) {
            return objects.values().stream().filter(o -> o.kind() == kind).map(ConfigObject::redacted).toList();
        }

        @Override
        public Optional<ConfigObject> get(ObjectKind kind, String name) {
            return Optional.ofNullable(objects.get(kind.label() + "/" + name)).map(ConfigObject::redacted);
        }

        @Override
        public ConfigObject create(ObjectKind kind, String name, Map<String, String> properties) {
            if (kind == ObjectKind.TARGET && !properties.containsKey("iqn")) {
                throw new IllegalArgumentException(kind.label() + " '" + name + "' has no 'iqn'; set it");
            }
            calls.add("create " + kind.label() + " " + name);
            ConfigObject o = new ConfigObject(kind, name, properties);
            objects.put(kind.label() + "/" + name, o);
            return o.redacted();
        }

        @Override
        public ConfigObject update(ObjectKind kind, String name, Map<String, String> set, List<String> remove) {
            ConfigObject o = objects.get(kind.label() + "/" + name);
            Map<String, String> next = new TreeMap<>(o.properties());
            remove.forEach(next::remove);
            next.putAll(set);
            calls.add("update " + kind.label() + " " + name);
            ConfigObject changed = new ConfigObject(kind, name, next);
            objects.put(kind.label() + "/" + name, changed);
            return changed.redacted();
        }

        @Override
        public void delete(ObjectKind kind, String name, boolean force) {
            if (inUse && !force) {
                throw new IllegalStateException(kind.label() + " '" + name + "' is in use by 1 session: iqn.x "
                        + "(TSIH 1); log them out first");
            }
            calls.add("delete " + kind.label() + " " + name + " " + force);
            objects.remove(kind.label() + "/" + name);
        }

        @Override
        public ConfigDocument export() {
            return new ConfigDocument(ConfigDocument.VERSION, List.copyOf(objects.values()));
        }

        @Override
        public ApplyPlan apply(ConfigDocument desired, boolean dryRun) {
            dryRuns.add(dryRun);
            return new ApplyPlan(plan, !dryRun);
        }

        @Override
        public String toJson(ConfigDocument document) {
            return document.objects().toString();
        }

        @Override
        public ConfigDocument parseJson(String json) {
            return new ConfigDocument(ConfigDocument.VERSION, List.of());
        }

        @Override
        public ImportReport importLio(String saveconfigJson) {
            throw new UnsupportedOperationException();
        }
    }
}
