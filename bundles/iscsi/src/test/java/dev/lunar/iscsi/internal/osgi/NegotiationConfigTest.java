package dev.lunar.iscsi.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.iscsi.internal.EngineSettings;
import dev.lunar.iscsi.internal.login.NegotiationDefaults;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operational keys of {@code dev.lunar.iscsi}: defaults, overrides, bad values kept out. */
class NegotiationConfigTest {

    /** A Config whose methods answer from {@code values}, else their annotation default. */
    private static IscsiEngineComponent.Config config(Map<String, Object> values) {
        return (IscsiEngineComponent.Config) Proxy.newProxyInstance(
                IscsiEngineComponent.Config.class.getClassLoader(),
                new Class<?>[] {IscsiEngineComponent.Config.class},
                (p, m, a) -> values.containsKey(m.getName()) ? values.get(m.getName()) : m.getDefaultValue());
    }

    @Test
    void defaultsAreTheProductDefaults() {
        NegotiationDefaults n = IscsiEngineComponent.settings(config(Map.of())).negotiation();
        assertEquals(NegotiationDefaults.standard(), n);
        assertEquals(262144, n.maxRecvDataSegmentLength());
        assertEquals(1048576, n.maxBurstLength());
        assertEquals(262144, n.firstBurstLength());
        assertTrue(n.immediateData());
        assertFalse(n.initialR2T());
        assertEquals(8, n.maxOutstandingR2T());
    }

    @Test
    void everyKeyReachesTheNegotiationDefaults() {
        NegotiationDefaults n = IscsiEngineComponent.settings(config(Map.of(
                "maxRecvDataSegmentLength", 8192, "maxBurstLength", 65536, "firstBurstLength", 16384,
                "immediateData", false, "initialR2T", true, "maxOutstandingR2T", 2,
                "defaultTime2Wait", 5, "defaultTime2Retain", 0, "headerDigest", false,
                "dataDigest", false))).negotiation();
        assertEquals(new NegotiationDefaults(8192, 65536, 16384, false, true, 2, 1, 0, 5, 0, true, true, false,
                false), n);
    }

    @Test
    void modifiedAppliesToTheEngine() {
        IscsiEngineComponent c = new IscsiEngineComponent(config(Map.of()));
        try {
            c.modified(config(Map.of("maxBurstLength", 524288, "firstBurstLength", 65536)));
            assertEquals(524288, c.engine().settings().negotiation().maxBurstLength());
            assertEquals(65536, c.engine().settings().negotiation().firstBurstLength());
        } finally {
            c.deactivate();
        }
    }

    @Test
    void aBadValueKeepsThePreviousSettings() {
        IscsiEngineComponent c = new IscsiEngineComponent(config(Map.of("maxOutstandingR2T", 4)));
        try {
            EngineSettings before = c.engine().settings();
            assertEquals(4, before.negotiation().maxOutstandingR2T());
            // FirstBurstLength above MaxBurstLength is refused (RFC 7143 §13.14), so is a zero segment.
            c.modified(config(Map.of("firstBurstLength", 2097152)));
            assertSame(before, c.engine().settings());
            c.modified(config(Map.of("maxRecvDataSegmentLength", 0)));
            assertSame(before, c.engine().settings());
        } finally {
            c.deactivate();
        }
    }

    @Test
    void aBadValueAtActivationStartsWithTheProductDefaults() {
        IscsiEngineComponent c = new IscsiEngineComponent(config(Map.of("defaultTime2Wait", -1)));
        try {
            assertEquals(EngineSettings.standard().negotiation(), c.engine().settings().negotiation());
        } finally {
            c.deactivate();
        }
    }
}
