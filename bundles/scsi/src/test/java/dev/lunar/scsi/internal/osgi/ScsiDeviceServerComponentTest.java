package dev.lunar.scsi.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.LunStats;
import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.lun.LunBinding;
import dev.lunar.scsi.internal.lun.LunConfig;
import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.backend.BlockDevice;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;

/** LunService's run-time views: per-LUN counters and the backends with their bundles and LUNs. */
class ScsiDeviceServerComponentTest {

    private static <T> T stub(Class<T> type, Map<String, Object> answers) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, m, args) -> {
                    if (m.getName().equals("getProperty")) {
                        return answers.get("property:" + args[0]);
                    }
                    if (m.getName().equals("hashCode")) {
                        return System.identityHashCode(p);
                    }
                    if (m.getName().equals("equals")) {
                        return p == args[0];
                    }
                    return answers.get(m.getName());
                }));
    }

    @SuppressWarnings("unchecked")
    private static ServiceReference<Backend> backendRef(String kind, String bsn, String version) {
        Bundle bundle = stub(Bundle.class, Map.of("getSymbolicName", bsn, "getVersion", Version.parseVersion(version)));
        return stub(ServiceReference.class, Map.of("property:" + Backend.KIND, kind, "getBundle", bundle));
    }

    private static Map<String, Object> lun(String name, int lun) {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "dev.lunar.lun~" + name);
        p.put("target", "iqn.2026-01.dev.lunar:web");
        p.put("lun", lun);
        p.put("backend", "ram");
        p.put("size", "64K");
        return p;
    }

    @Test
    void listsBackendsWithTheirBundleAndOpenLunsAndCountsPerLun() throws Exception {
        ScsiDeviceServerComponent c = new ScsiDeviceServerComponent(stub(BundleContext.class, Map.of()));
        try {
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
            c.bindBackend(backendRef("ram", "dev.lunar.backend-ramdisk", "0.1.0.SNAPSHOT"));
            ServiceReference<Backend> file = backendRef("file", "dev.lunar.backend-file", "0.1.0");
            c.bindBackend(file);
            LunBinding b1 = c.create(LunConfig.from(lun("b", 1)));
            LunBinding b0 = c.create(LunConfig.from(lun("a", 0)));
            b1.backendAdded(ram, "ram");
            b0.backendAdded(ram, "ram");
            for (int i = 0; i < 500 && !(b0.info().state().equals("READY") && b1.info().state().equals("READY")); i++) {
                Thread.sleep(10); // the management thread opens the devices
            }
            assertEquals("READY", b0.info().state());

            List<BackendInfo> backends = c.backends();
            assertEquals(List.of(new BackendInfo("file", "dev.lunar.backend-file 0.1.0", List.of()),
                    new BackendInfo("ram", "dev.lunar.backend-ramdisk 0.1.0.SNAPSHOT", List.of("a", "b"))), backends);

            b1.logicalUnit().ioStats().record(dev.lunar.api.IoStatsRecorder.Kind.READ, 4096, 50_000, false);
            List<LunStats> stats = c.lunStats();
            assertEquals(List.of("a", "b"), stats.stream().map(LunStats::name).toList());
            assertEquals(0, stats.get(0).io().reads());
            assertEquals(1, stats.get(1).io().reads());
            assertEquals(4096, stats.get(1).io().bytesRead());
            assertEquals(1, stats.get(1).lun());

            c.unbindBackend(file);
            assertTrue(c.backends().stream().noneMatch(i -> i.kind().equals("file")));
        } finally {
            c.deactivate();
        }
    }
}
