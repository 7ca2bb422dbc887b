package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TargetService;
import dev.lunar.api.TransportInfo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

class StatusReportTest {

    private static final List<StatusReport.BundleRow> BUNDLES = List.of(
            new StatusReport.BundleRow(42, "dev.lunar.api", "0.1.0.SNAPSHOT", "Active"),
            new StatusReport.BundleRow(43, "dev.lunar.iscsi", "0.1.0.SNAPSHOT", "Resolved"));

    private static String render(TargetService targets, LunService luns) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            new StatusReport("0.1.0-SNAPSHOT", BUNDLES, targets, luns).print(out, false);
        }
        // --no-format pads cells with spaces and separates them with tabs; compare cells, not padding.
        return bytes.toString(StandardCharsets.UTF_8).replaceAll(" *\t *", "|");
    }

    @Test
    void listsBundlesPortalsLunsAndSessionCount() {
        FakeTargetService targets = new FakeTargetService();
        targets.targets.add(new TargetInfo("default", "iqn.2026-11.dev.lunar:default", "", "none", 1));
        targets.portals.add(new PortalInfo("default", "127.0.0.1", 3260, "tcp", "LISTENING", ""));
        targets.sessions.add(new SessionInfo(1, "iqn.init", "400001370000", "iqn.2026-11.dev.lunar:default", 1,
                "tcp", "127.0.0.1:50000", Map.of()));
        targets.transports = List.of(new TransportInfo("tcp", "tcp", "dev.lunar.transport-tcp", List.of("default"), 1));
        FakeLunService luns = new FakeLunService();
        luns.luns.add(new LunInfo("default-0", "iqn.2026-11.dev.lunar:default", 0, "ramdisk", 1L << 30, 512,
                "READY", ""));
        luns.backends = List.of(new BackendInfo("ramdisk", "dev.lunar.backend-ramdisk", List.of("default-0")));

        String text = render(targets, luns);

        assertTrue(text.startsWith("Lunar 0.1.0-SNAPSHOT"), text);
        assertTrue(text.contains("42|dev.lunar.api|0.1.0.SNAPSHOT|Active"), text);
        assertTrue(text.contains("43|dev.lunar.iscsi|0.1.0.SNAPSHOT|Resolved"), text);
        assertTrue(text.contains("default|127.0.0.1|3260|tcp|LISTENING"), text);
        assertTrue(text.contains("default-0|iqn.2026-11.dev.lunar:default|0|ramdisk|1073741824|512|READY"), text);
        assertTrue(text.contains("tcp|tcp|default|1"), text);
        assertTrue(text.contains("ramdisk|default-0"), text);
        assertTrue(text.contains("Sessions: 1"), text);
    }

    @Test
    void saysWhichListingsThisVersionLacks() {
        String text = render(new FakeTargetService(), new FakeLunService());

        assertTrue(text.contains("Transports\nThe transport listing is not available in this version."), text);
        assertTrue(text.contains("Backends\nThe backend listing is not available in this version."), text);
        assertTrue(text.contains("Sessions: 0"), text);
    }

    @Test
    void saysWhichPartIsNotRunningWhenServicesAreAbsent() {
        String text = render(null, null);

        assertTrue(text.contains("the iSCSI engine (dev.lunar.api.TargetService) is not running"), text);
        assertTrue(text.contains("the SCSI core (dev.lunar.api.LunService) is not running"), text);
        assertTrue(text.contains("Sessions: unknown"), text);
    }

    @Test
    void namesBundleStatesLikeKaraf() {
        assertEquals("Active", StatusReport.stateName(Bundle.ACTIVE));
        assertEquals("Resolved", StatusReport.stateName(Bundle.RESOLVED));
        assertEquals("Unknown(3)", StatusReport.stateName(3));
    }
}
