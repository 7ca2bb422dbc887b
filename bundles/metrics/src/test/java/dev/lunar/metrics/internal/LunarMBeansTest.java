package dev.lunar.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.IoStatsRecorder;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LunarMBeansTest {

    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private final FakeServices services = new FakeServices();
    private final LunarMBeans mbeans = new LunarMBeans(server, () -> services, () -> services);

    @AfterEach
    void tearDown() {
        mbeans.close();
    }

    @Test
    void oneMBeanPerTargetLunSessionAndTransportWithLiveAttributes() throws Exception {
        mbeans.sync();
        ObjectName lun = new ObjectName("dev.lunar:type=Lun,target=" + ObjectName.quote(FakeServices.IQN) + ",lun=0");
        ObjectName session = new ObjectName("dev.lunar:type=Session,tsih=3");
        ObjectName target = new ObjectName("dev.lunar:type=Target,name=web");
        ObjectName transport = new ObjectName("dev.lunar:type=Transport,kind=tcp,bundle="
                + ObjectName.quote("dev.lunar.transport-tcp 0.1.0"));
        for (ObjectName n : new ObjectName[] {lun, session, target, transport, new ObjectName("dev.lunar:type=Lunar")}) {
            assertTrue(server.isRegistered(n), n + " registered; have " + mbeans.registered());
        }
        assertEquals(0L, server.getAttribute(lun, "Reads"));
        services.lunIo.record(IoStatsRecorder.Kind.READ, 4096, 700_000, false);
        assertEquals(1L, server.getAttribute(lun, "Reads"), "attributes read the service when asked");
        assertEquals(4096L, server.getAttribute(lun, "BytesRead"));
        assertEquals(1000L, server.getAttribute(lun, "ReadLatencyP99Micros"));
        assertEquals("web-0", server.getAttribute(lun, "Name"));
        assertEquals(1, server.getAttribute(target, "Sessions"));
        assertEquals(1, server.getAttribute(transport, "Connections"));
        assertEquals(FakeServices.IQN, server.getAttribute(session, "Target"));
    }

    @Test
    void operationsDelegateToTargetServiceAndGoneSessionsAreUnregistered() throws Exception {
        mbeans.sync();
        ObjectName root = new ObjectName("dev.lunar:type=Lunar");
        Object moved = server.invoke(root, "moveConnections", new Object[] {"tcp", "toe", 0},
                new String[] {"java.lang.String", "java.lang.String", "int"});
        assertEquals("moved [tcp->toe], failed []", moved);
        Object killed = server.invoke(root, "killSession", new Object[] {3, "maintenance"},
                new String[] {"int", "java.lang.String"});
        assertEquals("session 3 ended", killed);
        assertEquals(java.util.List.of("3:maintenance"), services.kills);
        ObjectName session = new ObjectName("dev.lunar:type=Session,tsih=3");
        assertTrue(server.isRegistered(session), "until the next sync");
        mbeans.sync();
        assertFalse(server.isRegistered(session));
        mbeans.close();
        assertTrue(server.queryNames(new ObjectName("dev.lunar:*"), null).isEmpty());
    }
}
