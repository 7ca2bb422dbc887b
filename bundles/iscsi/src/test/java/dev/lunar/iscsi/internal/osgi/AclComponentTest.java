package dev.lunar.iscsi.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.iscsi.internal.login.AccessControl;
import dev.lunar.iscsi.internal.login.InitiatorAcl;
import java.lang.reflect.Proxy;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;

class AclComponentTest {

    private static final String TARGET = "iqn.2026-01.dev.lunar:disk0";
    private static final String HOST = "iqn.1993-08.org.debian:01:host";

    private static Map<String, Object> config() {
        Map<String, Object> m = new HashMap<>();
        m.put("service.pid", "dev.lunar.acl~host-disk0");
        m.put("target", TARGET);
        m.put("initiator", HOST);
        m.put("luns", "0,2");
        m.put("readOnly", "true");
        return m;
    }

    @Test
    void parsesLoginKeysAndIgnoresTheScsiOnes() {
        InitiatorAcl acl = AclComponent.parse(config());
        assertEquals("host-disk0", acl.configName());
        assertEquals(TARGET, acl.target());
        assertEquals(HOST, acl.initiator());
        assertNull(acl.chap());
        Map<String, Object> m = config();
        m.put("chapUser", "host");
        m.put("chapSecret", "host-secret-123");
        m.put("mutualUser", "lunar");
        m.put("mutualSecret", "lunar-secret-456");
        InitiatorAcl chap = AclComponent.parse(m);
        assertEquals("host", chap.chap().user());
        assertTrue(chap.chap().mutual());
    }

    @Test
    void badConfigurationsSayWhatToFixWithoutPrintingSecrets() {
        Map<String, Object> m = config();
        m.remove("target");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AclComponent.parse(m));
        assertTrue(e.getMessage().contains("host-disk0") && e.getMessage().contains("'target'"), e.getMessage());
        Map<String, Object> half = config();
        half.put("chapSecret", "lonely-secret-99");
        e = assertThrows(IllegalArgumentException.class, () -> AclComponent.parse(half));
        assertTrue(e.getMessage().contains("chapUser"), e.getMessage());
        assertFalse(e.getMessage().contains("lonely-secret-99"));
        Map<String, Object> mutualOnly = config();
        mutualOnly.put("mutualUser", "lunar");
        mutualOnly.put("mutualSecret", "lunar-secret-456");
        assertThrows(IllegalArgumentException.class, () -> AclComponent.parse(mutualOnly));
        Map<String, Object> same = config();
        same.put("chapUser", "host");
        same.put("chapSecret", "the-same-secret");
        same.put("mutualUser", "lunar");
        same.put("mutualSecret", "the-same-secret");
        e = assertThrows(IllegalArgumentException.class, () -> AclComponent.parse(same));
        assertFalse(e.getMessage().contains("the-same-secret"), e.getMessage());
    }

    @Test
    void anEntryWithUnusableChapKeysRestrictsTheTargetAndAdmitsNobody() {
        AccessControl table = new AccessControl();
        Map<String, Object> m = config();
        m.put("chapUser", "host");
        AclComponent c = new AclComponent(table, m);
        assertTrue(table.restricted(TARGET), "the target is not left open");
        assertFalse(table.admission(TARGET, HOST).admitted(), "not even its own initiator, without its CHAP");
        assertFalse(table.admission(TARGET, "iqn.other").admitted());
        m.put("chapSecret", "host-secret-123");
        c.modified(m);
        assertTrue(table.admission(TARGET, HOST).admitted(), "fixed: applies");
        Map<String, Object> noTarget = config();
        noTarget.remove("target");
        assertThrows(IllegalArgumentException.class, () -> AclComponent.parseFailClosed(noTarget));
    }

    @Test
    void componentFeedsTheTableLive() {
        AccessControl table = new AccessControl();
        AclComponent c = new AclComponent(table, config());
        assertTrue(table.restricted(TARGET));
        assertTrue(table.admission(TARGET, HOST).admitted());
        assertFalse(table.admission(TARGET, "iqn.other").admitted());
        Map<String, Object> m = config();
        m.put("initiator", "iqn.other");
        c.modified(m);
        assertFalse(table.admission(TARGET, HOST).admitted(), "the change applies to the next login");
        assertTrue(table.admission(TARGET, "iqn.other").admitted());
        c.deactivate();
        assertFalse(table.restricted(TARGET));
        assertTrue(table.admission(TARGET, HOST).admitted());
    }

    /** A Config Admin that stores exactly {@code stored} (pid → properties). */
    private static ConfigurationAdmin configurationAdmin(Map<String, Map<String, Object>> stored) {
        Configuration[] configurations = stored.entrySet().stream().map(e -> {
            Dictionary<String, Object> d = new Hashtable<>(e.getValue());
            d.put("service.pid", e.getKey());
            return (Configuration) Proxy.newProxyInstance(AclComponentTest.class.getClassLoader(),
                    new Class<?>[] {Configuration.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "getProperties" -> d;
                        case "getPid" -> e.getKey();
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }).toArray(Configuration[]::new);
        return (ConfigurationAdmin) Proxy.newProxyInstance(AclComponentTest.class.getClassLoader(),
                new Class<?>[] {ConfigurationAdmin.class}, (proxy, method, args) -> {
                    if (method.getName().equals("listConfigurations")) {
                        assertEquals("(service.factoryPid=dev.lunar.acl)", args[0]);
                        return configurations.length == 0 ? null : configurations;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void storedAclsApplyBeforeTheirComponentsStartAndDeletionDropsThem() {
        AccessControlComponent holder = new AccessControlComponent();
        Map<String, Object> bad = config();
        bad.remove("initiator");
        holder.bindConfigurationAdmin(configurationAdmin(Map.of("dev.lunar.acl~host-disk0", config(),
                "dev.lunar.acl~broken", bad)));
        AccessControl table = holder.table();
        assertTrue(table.restricted(TARGET), "restricted before any AclComponent ran");
        assertFalse(table.admission(TARGET, "iqn.other").admitted());

        // the component, when it starts with newer values, wins; the preload never overwrites it
        Map<String, Object> newer = config();
        newer.put("initiator", "iqn.other");
        new AclComponent(table, newer);
        holder.bindConfigurationAdmin(configurationAdmin(Map.of("dev.lunar.acl~host-disk0", config())));
        assertTrue(table.admission(TARGET, "iqn.other").admitted());
        assertFalse(table.admission(TARGET, HOST).admitted());

        org.osgi.framework.ServiceReference<?> cmReference = (org.osgi.framework.ServiceReference<?>) Proxy
                .newProxyInstance(AclComponentTest.class.getClassLoader(),
                        new Class<?>[] {org.osgi.framework.ServiceReference.class}, (proxy, method, args) -> null);
        @SuppressWarnings("unchecked")
        org.osgi.framework.ServiceReference<ConfigurationAdmin> ref =
                (org.osgi.framework.ServiceReference<ConfigurationAdmin>) cmReference;
        holder.configurationEvent(new ConfigurationEvent(ref, ConfigurationEvent.CM_DELETED, "dev.lunar.acl",
                "dev.lunar.acl~host-disk0"));
        assertFalse(table.restricted(TARGET));
        holder.bindConfigurationAdmin(configurationAdmin(Map.of()));
        assertFalse(table.restricted(TARGET));
    }
}
