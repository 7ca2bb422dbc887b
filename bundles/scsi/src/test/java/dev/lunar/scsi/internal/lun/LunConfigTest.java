package dev.lunar.scsi.internal.lun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LunConfigTest {

    private static Map<String, Object> props(String... keyValues) {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "dev.lunar.lun~disk0");
        p.put("target", "iqn.2026-11.dev.lunar:t");
        p.put("lun", "0");
        p.put("backend", "ramdisk");
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    @Test
    void sanitizeRateTakesSizesPerSecondAndDefaultsToUnlimited() {
        assertEquals(0, LunConfig.from(props()).sanitizeRate());
        assertEquals(64L << 20, LunConfig.from(props("sanitizeRate", "64MiB")).sanitizeRate());
        assertEquals(1000, LunConfig.from(props("sanitizeRate", "1000")).sanitizeRate());
    }

    @Test
    void aBadSanitizeRateFailsTheConfigurationWithASentence() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LunConfig.from(props("sanitizeRate", "fast")));
        assertTrue(e.getMessage().contains("sanitizeRate") && e.getMessage().contains("disk0"), e.getMessage());
    }
}
