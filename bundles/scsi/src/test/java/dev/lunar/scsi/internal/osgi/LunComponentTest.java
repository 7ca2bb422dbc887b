package dev.lunar.scsi.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.lun.LunBinding;
import dev.lunar.scsi.internal.lun.LunConfig;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.backend.BlockDevice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The DS adapter forwards configuration and backend services to its binding, nothing more. */
class LunComponentTest {

    private final DeviceServerCore core = new DeviceServerCore(CommandTable.standard());
    private final List<LunBinding> created = new ArrayList<>();
    private final List<LunBinding> removed = new ArrayList<>();

    private final LunRegistry registry = new LunRegistry() {
        @Override
        public LunBinding create(LunConfig config) {
            LunBinding b = new LunBinding(core, Runnable::run, null, config);
            created.add(b);
            b.start();
            return b;
        }

        @Override
        public void remove(LunBinding binding) {
            removed.add(binding);
            binding.stop();
        }
    };

    private static Map<String, Object> props(String size) {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "dev.lunar.lun~web");
        p.put("component.id", 7L);
        p.put("target", "iqn.2026-01.dev.lunar:web");
        p.put("lun", 2);
        p.put("backend", "ram");
        p.put("size", size);
        return p;
    }

    @Test
    void lifecycle() {
        LunComponent c = new LunComponent(registry, props("64K"));
        LunBinding b = created.get(0);
        assertEquals("web", b.config().name());
        assertEquals(2, b.config().lun());
        assertEquals(Map.of("size", "64K"), b.config().options(), "framework keys are not backend options");
        assertEquals("WAITING", b.info().state());

        List<Map<String, String>> opened = new ArrayList<>();
        Backend ram = new Backend() {
            @Override
            public String kind() {
                return "something-else"; // the service property wins
            }

            @Override
            public BlockDevice open(String name, Map<String, String> options) {
                opened.add(options);
                return new MemoryBlockDevice(MemoryBlockDevice.geometry(
                        LunConfig.parseSize(options.get("size")) / 512, 8));
            }
        };
        c.bindBackend(ram, Map.of(Backend.KIND, "ram"));
        assertEquals("READY", b.info().state());
        assertEquals(65536, b.info().sizeBytes());

        c.modified(props("128K"));
        assertEquals(131072, b.info().sizeBytes());

        c.unbindBackend(ram);
        assertEquals("WAITING", b.info().state());
        assertNotNull(b.logicalUnit(), "the LU stays mapped without its backend");

        c.deactivate();
        assertTrue(removed.contains(b));
        assertEquals(1, opened.size());
    }

    @Test
    void aBadChangeKeepsThePreviousConfiguration() {
        LunComponent c = new LunComponent(registry, props("64K"));
        LunBinding b = created.get(0);
        Map<String, Object> bad = props("128K");
        bad.put(LunConfig.BACKEND_GRACE_SECONDS, "forever");
        c.modified(bad);
        assertEquals("64K", b.config().options().get("size"), "nothing of the bad configuration applied");
        Map<String, Object> unmapped = props("64K");
        unmapped.remove("target");
        c.modified(unmapped);
        assertEquals("UNMAPPED", b.info().state());
        c.deactivate();
    }

    @Test
    void aBackendMarkedNotPersistentIsForwardedAsSuch() {
        String nexus = core.openNexus("iqn.2026-01.dev.lunar:web", "i,i,0x1", "t,0x1", 1, false).name();
        LunComponent c = new LunComponent(registry, props("64K"));
        LunBinding b = created.get(0);
        Backend ram = new Backend() {
            @Override
            public String kind() {
                return "ram";
            }

            @Override
            public BlockDevice open(String name, Map<String, String> options) {
                return new MemoryBlockDevice(MemoryBlockDevice.geometry(128, 8));
            }
        };
        c.bindBackend(ram, Map.of(Backend.KIND, "ram", LunComponent.PERSISTENT, "false"));
        c.unbindBackend(ram);
        c.bindBackend(ram, Map.of(Backend.KIND, "ram", LunComponent.PERSISTENT, "false"));
        List<dev.lunar.spi.scsi.Sense> pending = new ArrayList<>();
        for (dev.lunar.spi.scsi.Sense s; (s = b.logicalUnit().unitAttentions().take(nexus)) != null; ) {
            pending.add(s);
        }
        assertTrue(pending.contains(SenseCodes.UA_MEDIUM_MAY_HAVE_CHANGED), pending.toString());
        c.deactivate();
    }
}
