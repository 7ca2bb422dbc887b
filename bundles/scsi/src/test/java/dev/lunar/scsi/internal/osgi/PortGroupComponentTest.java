package dev.lunar.scsi.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.PortGroups.AccessState;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PortGroupComponentTest {

    private final DeviceServerCore core = new DeviceServerCore(CommandTable.standard());

    @Test
    void defaultsAreGroupOneActiveOptimized() {
        PortGroupComponent.Entry e = PortGroupComponent.parse(Map.of("address", "127.0.0.1"));
        assertEquals(1, e.tpgt());
        assertEquals(AccessState.ACTIVE_OPTIMIZED, e.state());
    }

    @Test
    void readsTpgtAndStateAndRefusesBadValuesWithASentence() {
        PortGroupComponent.Entry e = PortGroupComponent.parse(Map.of("tpgt", "2", "aluaState", "Standby"));
        assertEquals(2, e.tpgt());
        assertEquals(AccessState.STANDBY, e.state());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> PortGroupComponent.parse(Map.of("aluaState", "offline")));
        assertTrue(bad.getMessage().contains("standby"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PortGroupComponent.parse(Map.of("tpgt", "0")));
    }

    @Test
    void componentLifecyclePutsChangesAndRemovesItsPortal() {
        Map<String, Object> p = new HashMap<>(Map.of("service.pid", "dev.lunar.portal~west", "tpgt", 2,
                "aluaState", "standby"));
        PortGroupComponent c = new PortGroupComponent(core, p);
        assertEquals(AccessState.STANDBY, core.portGroups().state(2));
        p.put("aluaState", "unavailable");
        c.modified(p);
        assertEquals(AccessState.UNAVAILABLE, core.portGroups().state(2));
        p.put("aluaState", "bogus");
        c.modified(p); // a bad value takes the portal out of the table (logged), it does not throw
        assertEquals(AccessState.ACTIVE_OPTIMIZED, core.portGroups().state(2));
        p.put("aluaState", "standby");
        c.modified(p);
        c.deactivate();
        assertTrue(core.portGroups().configured().isEmpty());
    }
}
