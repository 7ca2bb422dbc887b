package dev.lunar.scsi.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.target.AccessGrant;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import java.lang.reflect.Proxy;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;

class AclComponentTest {

    private static final String T1 = "iqn.2026-01.dev.lunar:disk0";
    private static final String T2 = "iqn.2026-01.dev.lunar:disk1";
    private static final String HOST = "iqn.1993-08.org.debian:01:host";

    private final DeviceServerCore core = new DeviceServerCore(CommandTable.standard());

    private static Map<String, Object> config(String target, String luns, Object readOnly) {
        Map<String, Object> m = new HashMap<>();
        m.put("service.pid", "dev.lunar.acl~host-disk0");
        m.put("target", target);
        m.put("initiator", HOST);
        if (luns != null) {
            m.put("luns", luns);
        }
        if (readOnly != null) {
            m.put("readOnly", readOnly);
        }
        m.put("chapUser", "ignored-here");
        return m;
    }

    @Test
    void feedsTheTargetAndFollowsChangesAndRemoval() {
        AclComponent c = new AclComponent(core, config(T1, "0,1", "true"));
        AccessGrant g = core.target(T1).access(AccessGrant.key(HOST));
        assertEquals("host-disk0", g.configName());
        assertEquals(Set.of(0, 1), g.luns());
        assertTrue(g.readOnly());
        assertSame(AccessGrant.DENIED, core.target(T1).access("iqn.other"));

        c.modified(config(T1, null, false));
        g = core.target(T1).access(AccessGrant.key(HOST));
        assertNull(g.luns(), "no luns key: every LUN");
        assertFalse(g.readOnly());

        c.modified(config(T2, "3", null));
        assertSame(AccessGrant.OPEN, core.target(T1).access(AccessGrant.key(HOST)), "moved away from T1");
        assertEquals(Set.of(3), core.target(T2).access(AccessGrant.key(HOST)).luns());

        c.deactivate();
        assertSame(AccessGrant.OPEN, core.target(T2).access(AccessGrant.key(HOST)));
    }

    @Test
    void aBrokenEntryRestrictsInsteadOfOpeningTheTarget() {
        AclComponent c = new AclComponent(core, config(T1, "0;2", null));
        AccessGrant g = core.target(T1).access(AccessGrant.key(HOST));
        assertEquals(Set.of(), g.luns(), "a typo in luns: no LUN at all, not every LUN");
        assertTrue(g.readOnly());
        c.modified(config(T1, "0,2", null));
        assertEquals(Set.of(0, 2), core.target(T1).access(AccessGrant.key(HOST)).luns(), "fixed: applies");
        c.modified(config(T1, null, "ja"));
        assertEquals(Set.of(), core.target(T1).access(AccessGrant.key(HOST)).luns());
        Map<String, Object> noInitiator = config(T1, null, null);
        noInitiator.remove("initiator");
        assertThrows(IllegalArgumentException.class, () -> AclComponent.parseFailClosed(noInitiator));
    }

    @Test
    void multiValuedLunsAreAccepted() {
        Map<String, Object> m = config(T1, null, null);
        m.put("luns", new String[] {"2", "5"});
        assertEquals(Set.of(2, 5), AclComponent.parse(m).grant().luns());
    }

    @Test
    void badConfigurationsSayWhatToFix() {
        Map<String, Object> m = config(T1, null, null);
        m.remove("initiator");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AclComponent.parse(m));
        assertTrue(e.getMessage().contains("host-disk0") && e.getMessage().contains("initiator"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AclComponent.parse(config(T1, "0,zero", null)));
        assertTrue(e.getMessage().contains("'zero'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AclComponent.parse(config(T1, null, "yes")));
        assertTrue(e.getMessage().contains("readOnly"), e.getMessage());
    }

    private static <T> T proxy(Class<T> type, java.lang.reflect.InvocationHandler handler) {
        return type.cast(Proxy.newProxyInstance(AclComponentTest.class.getClassLoader(), new Class<?>[] {type},
                handler));
    }

    /** A Config Admin that stores exactly one ACL configuration, {@code properties}. */
    private static ConfigurationAdmin storing(Map<String, Object> properties) {
        Dictionary<String, Object> d = new Hashtable<>(properties);
        Configuration c = proxy(Configuration.class, (p, m, a) -> switch (m.getName()) {
            case "getProperties" -> d;
            case "getPid" -> properties.get("service.pid");
            default -> throw new UnsupportedOperationException(m.getName());
        });
        return proxy(ConfigurationAdmin.class, (p, m, a) -> {
            if (m.getName().equals("listConfigurations") && "(service.factoryPid=dev.lunar.acl)".equals(a[0])) {
                return new Configuration[] {c};
            }
            throw new UnsupportedOperationException(m.getName() + " " + java.util.Arrays.toString(a));
        });
    }

    @Test
    void storedConfigurationsApplyBeforeTheirComponentsAndNeverOverwriteThem() {
        StoredAclLoader loader = new StoredAclLoader(core);
        loader.bindConfigurationAdmin(storing(config(T1, "1", "true")));
        AccessGrant g = core.target(T1).access(AccessGrant.key(HOST));
        assertEquals(Set.of(1), g.luns());
        assertTrue(g.readOnly());

        new AclComponent(core, config(T1, "0", "false"));
        loader.bindConfigurationAdmin(storing(config(T1, "1", "true")));
        assertEquals(Set.of(0), core.target(T1).access(AccessGrant.key(HOST)).luns(), "the live component wins");

        @SuppressWarnings("unchecked")
        ServiceReference<ConfigurationAdmin> ref = proxy(ServiceReference.class, (p, m, a) -> null);
        loader.configurationEvent(new ConfigurationEvent(ref, ConfigurationEvent.CM_DELETED, "dev.lunar.acl",
                "dev.lunar.acl~host-disk0"));
        assertSame(AccessGrant.OPEN, core.target(T1).access(AccessGrant.key(HOST)));
    }
}
