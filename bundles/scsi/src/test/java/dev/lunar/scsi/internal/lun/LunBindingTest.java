package dev.lunar.scsi.internal.lun;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.LunInfo;
import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.scsi.TaskAttribute;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LunBindingTest {

    static final String TARGET = "iqn.2026-01.dev.lunar:bind";

    /** A backend kind handing out memory devices; remembers what it opened. */
    static class MemoryBackend implements Backend {
        final String kind;
        final List<MemoryBlockDevice> opened = new ArrayList<>();
        final List<Map<String, String>> options = new ArrayList<>();
        boolean refuse;

        MemoryBackend(String kind) {
            this.kind = kind;
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public BlockDevice open(String name, Map<String, String> opts) throws BackendException {
            if (refuse) {
                throw new BackendException("/nowhere is not writable");
            }
            options.add(opts);
            MemoryBlockDevice d = new MemoryBlockDevice(MemoryBlockDevice.geometry(
                    LunConfig.parseSize(opts.getOrDefault("size", "64K")) / 512, 16));
            opened.add(d);
            return d;
        }
    }

    private final DeviceServerCore core = new DeviceServerCore(CommandTable.standard());
    private final ScsiNexus nexus = core.openNexus(TARGET, "i,i,0x1", TARGET + ",t,0x1", 1, false);

    private static LunConfig config(String name, int lun, String kind, String size) {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "dev.lunar.lun~" + name);
        p.put("target", TARGET);
        p.put("lun", String.valueOf(lun));
        p.put("backend", kind);
        p.put("size", size);
        return LunConfig.from(p);
    }

    private LunBinding binding(LunConfig c) {
        LunBinding b = new LunBinding(core, Runnable::run, null, c);
        b.start();
        return b;
    }

    private TestPort tur(int lun) {
        TestPort p = new TestPort(dev.lunar.scsi.internal.target.ScsiTarget.encodeLun(lun), cdb(0, 0, 0, 0, 0, 0), 1,
                TaskAttribute.SIMPLE, 0, null);
        nexus.execute(p);
        return p;
    }

    private TestPort turAfterUas(int lun) {
        for (int i = 0; i < 10; i++) {
            TestPort p = tur(lun);
            if (p.sense() == null || p.senseKey() != 0x6) {
                return p;
            }
        }
        throw new AssertionError("UAs never cleared");
    }

    @Test
    void configurationParsing() {
        LunConfig c = config("disk1", 3, "ramdisk", "1G");
        assertEquals("disk1", c.name());
        assertEquals(3, c.lun());
        assertEquals(Map.of("size", "1G"), c.options());
        assertEquals(1L << 30, LunConfig.parseSize("1G"));
        assertEquals(512L << 20, LunConfig.parseSize("512MiB"));
        assertEquals(4096, LunConfig.parseSize("4096"));
        Map<String, Object> bad = new HashMap<>();
        bad.put("target", TARGET);
        assertThrows(IllegalArgumentException.class, () -> LunConfig.from(bad));
        bad.put("backend", "ramdisk");
        bad.put("lun", "x");
        assertThrows(IllegalArgumentException.class, () -> LunConfig.from(bad));
    }

    @Test
    void notReadyUntilTheBackendArrivesThenReady() {
        LunBinding b = binding(config("d", 0, "mem", "64K"));
        turAfterUas(0).assertCheckCondition(0x2, 0x04, 0x01);
        assertEquals("WAITING", b.info().state());
        MemoryBackend other = new MemoryBackend("file");
        b.backendAdded(other);
        assertTrue(other.opened.isEmpty(), "a backend of another kind is ignored");
        MemoryBackend mem = new MemoryBackend("mem");
        b.backendAdded(mem);
        turAfterUas(0).assertGood();
        LunInfo info = b.info();
        assertEquals("READY", info.state());
        assertEquals(65536, info.sizeBytes());
        assertEquals(Map.of("size", "64K"), mem.options.get(0));
    }

    @Test
    void backendGoesAwayAndComesBackWithTheSameIdentity() {
        LunBinding b = binding(config("d", 0, "mem", "64K"));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        byte[] naa = b.logicalUnit().identity().naa();
        turAfterUas(0).assertGood();
        b.backendRemoved(first);
        assertTrue(first.opened.get(0).closed, "device closed when its backend left");
        TestPort held = tur(0);
        assertTrue(!held.done(), "held while the backend is replaced, not NOT READY");
        MemoryBackend second = new MemoryBackend("mem");
        b.backendAdded(second);
        held.assertGood();
        turAfterUas(0).assertGood();
        assertArrayEquals(naa, b.logicalUnit().identity().naa());
    }

    @Test
    void backendReturningWithAnotherSizeRaisesCapacityDataHasChanged() {
        LunBinding b = binding(config("d", 0, "mem", "64K"));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        turAfterUas(0).assertGood();
        b.backendRemoved(first);
        MemoryBackend bigger = new MemoryBackend("mem") {
            @Override
            public BlockDevice open(String name, Map<String, String> opts) {
                return new MemoryBlockDevice(MemoryBlockDevice.geometry(256, 16));
            }
        };
        b.backendAdded(bigger);
        tur(0).assertCheckCondition(0x6, 0x2a, 0x09);
        tur(0).assertGood();
    }

    @Test
    void openFailureIsNotReadyManualIntervention() {
        LunBinding b = binding(config("d", 0, "mem", "64K"));
        MemoryBackend mem = new MemoryBackend("mem");
        mem.refuse = true;
        b.backendAdded(mem);
        turAfterUas(0).assertCheckCondition(0x2, 0x04, 0x03);
        assertEquals("FAILED", b.info().state());
        assertTrue(b.info().detail().contains("not writable"));
    }

    @Test
    void resizeRaisesCapacityDataHasChanged() {
        LunBinding b = binding(config("d", 0, "mem", "64K"));
        b.backendAdded(new MemoryBackend("mem"));
        turAfterUas(0).assertGood();
        b.modified(config("d", 0, "mem", "128K"));
        tur(0).assertCheckCondition(0x6, 0x2a, 0x09);
        assertEquals(256, b.logicalUnit().geometry().blockCount());
    }

    private static LunConfig removable(String name, String value) {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "dev.lunar.lun~" + name);
        p.put("target", TARGET);
        p.put("lun", "0");
        p.put("backend", "mem");
        p.put("size", "64K");
        p.put(LunConfig.REMOVABLE, value);
        return LunConfig.from(p);
    }

    @Test
    void removableIsALunOptionAppliedWithoutReopening() {
        MemoryBackend mem = new MemoryBackend("mem");
        LunBinding b = binding(removable("r", "true"));
        b.backendAdded(mem);
        assertTrue(b.logicalUnit().removable());
        b.modified(removable("r", "false"));
        assertEquals(false, b.logicalUnit().removable());
        assertEquals(1, mem.opened.size(), "no reopen for a property of the LU");
        assertThrows(IllegalArgumentException.class, () -> removable("r", "maybe"));
    }

    @Test
    void secondConfigurationForTheSameLunIsRefused() {
        binding(config("a", 0, "mem", "64K"));
        LunBinding dup = binding(config("b", 0, "mem", "64K"));
        assertNull(dup.logicalUnit());
        assertEquals("FAILED", dup.info().state());
    }

    @Test
    void removalUnmapsAndClosesAndOtherLunsHearOfIt() {
        LunBinding a = binding(config("a", 0, "mem", "64K"));
        LunBinding b = binding(config("b", 1, "mem", "64K"));
        MemoryBackend mem = new MemoryBackend("mem");
        a.backendAdded(mem);
        b.backendAdded(mem);
        turAfterUas(0).assertGood();
        b.stop();
        assertTrue(mem.opened.get(1).closed);
        tur(0).assertCheckCondition(0x6, 0x3f, 0x0e);
        tur(1).assertCheckCondition(0x5, 0x25, 0x00);
    }

    @Test
    void movingToAnotherLunNumberRemaps() {
        LunBinding b = binding(config("a", 0, "mem", "64K"));
        b.backendAdded(new MemoryBackend("mem"));
        b.modified(config("a", 5, "mem", "64K"));
        turAfterUas(5).assertGood();
        tur(0).assertCheckCondition(0x5, 0x25, 0x00);
    }
}
