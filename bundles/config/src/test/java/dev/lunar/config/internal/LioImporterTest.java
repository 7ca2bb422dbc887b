package dev.lunar.config.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ImportReport;
import dev.lunar.api.ObjectKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The hand-written fixture saveconfig.json is what targetcli 2.1 writes for a small appliance. */
class LioImporterTest {

    static final String STORAGE1 = "iqn.2003-01.org.linux-iscsi.storage1.x8664:sn.4c8e7b4a9d01";
    static final String SCRATCH = "iqn.2003-01.org.linux-iscsi.storage1.x8664:scratch";

    static ImportReport report;

    @BeforeAll
    static void importFixture() throws IOException {
        try (InputStream in = LioImporterTest.class.getResourceAsStream("saveconfig.json")) {
            report = LioImporter.convert(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void targetsCarryIqnAuthAndAlias() {
        List<ConfigObject> targets = report.document().of(ObjectKind.TARGET);
        assertEquals(List.of("scratch", "sn.4c8e7b4a9d01"), targets.stream().map(ConfigObject::name).toList());
        assertEquals(Map.of("iqn", SCRATCH, "auth", "none", "alias", "scratch space"), targets.get(0).properties());
        // CHAP required by LIO, but only per ACL: imported as none, and said so.
        assertEquals(Map.of("iqn", STORAGE1, "auth", "none"), targets.get(1).properties());
        assertUnmapped(s -> s.contains(STORAGE1) && s.contains("requires CHAP") && s.contains("review before applying"));
    }

    @Test
    void portalsAreSharedAndIserIsReported() {
        List<ConfigObject> portals = report.document().of(ObjectKind.PORTAL);
        assertEquals(List.of(new ConfigObject(ObjectKind.PORTAL, "0.0.0.0-3260",
                Map.of("address", "0.0.0.0", "port", "3260", "transport", "tcp"))), portals);
        assertUnmapped(s -> s.contains("192.168.10.5:3260") && s.contains("iSER"));
        assertUnmapped(s -> s.contains("Portal ::0:3260 of target " + SCRATCH) && s.contains("wildcard"));
    }

    @Test
    void lunsMapFileioBlockAndRamdisk() {
        Map<String, Map<String, String>> luns = byName(ObjectKind.LUN);
        assertEquals(Map.of("target", STORAGE1, "lun", "0", "backend", "file",
                "path", "/var/lib/iscsi_disks/web01.img", "size", "10737418240", "writeCache", "true"),
                luns.get("sn.4c8e7b4a9d01-web01"));
        assertEquals(Map.of("target", STORAGE1, "lun", "1", "backend", "file", "path", "/dev/vg0/db01",
                "writeCache", "false", "blockSize", "4096"), luns.get("sn.4c8e7b4a9d01-db01"));
        assertEquals(Map.of("target", SCRATCH, "lun", "0", "backend", "ramdisk", "size", "1073741824"),
                luns.get("scratch-scratch"));
        assertEquals(3, luns.size());
        assertUnmapped(s -> s.contains("pscsi/tape0") && s.contains("SCSI pass-through"));
        assertUnmapped(s -> s.contains("user/rbd0") && s.contains("TCMU"));
        assertUnmapped(s -> s.contains("LUN 2 of target " + STORAGE1) && s.contains("pscsi"));
        assertUnmapped(s -> s.contains("/backstores/fileio/spare") && s.contains("not mapped"));
        assertUnmapped(s -> s.contains("unit serial 6e1b5c7a-3f2d-4f5e-9a1b-2c3d4e5f6a7b"));
    }

    @Test
    void aclsCarryChapLunsAndWriteProtection() {
        Map<String, Map<String, String>> acls = byName(ObjectKind.ACL);
        assertEquals(Map.of("target", STORAGE1, "initiator", "iqn.1994-05.com.redhat:web01",
                "chapUser", "webhost", "chapSecret", "web-host-secret",
                "mutualUser", STORAGE1, "mutualSecret", "target-proves-itself"), acls.get("sn.4c8e7b4a9d01-web01"));
        assertEquals(Map.of("target", STORAGE1, "initiator", "iqn.1994-05.com.redhat:backup01", "chapUser", "backup",
                "chapSecret", "backup-host-secret", "luns", "1", "readOnly", "true"),
                acls.get("sn.4c8e7b4a9d01-backup01"));
        assertUnmapped(s -> s.contains("iqn.1994-05.com.redhat:backup01") && s.contains("TPG LUN 1")
                && s.contains("as LUN 0"));
    }

    @Test
    void everythingElseIsOneSentenceEach() {
        assertUnmapped(s -> s.contains("naa.50014057ad9c0fd1") && s.contains("loopback") && s.contains("iSCSI only"));
        assertUnmapped(s -> s.contains("TPG 2") && s.contains(SCRATCH));
        assertUnmapped(s -> s.contains("HeaderDigest=CRC32C") && !s.contains("DataDigest"));
        assertUnmapped(s -> s.contains("demo_mode_write_protect") == false && s.contains("0.0.0.0") == false
                && s.contains("fileio/web01") && s.contains("twice") == false);
        for (String sentence : report.unmapped()) {
            assertTrue(sentence.endsWith(".") || sentence.endsWith(":"), sentence);
            assertTrue(!sentence.contains("web-host-secret") && !sentence.contains("target-proves-itself"), sentence);
        }
    }

    @Test
    void theImportedDocumentIsValidAndApplies() {
        ConfigurationComponent service = new ConfigurationComponent(new FakeConfigurationAdmin(), (Path) null);
        ApplyPlan plan = service.apply(report.document(), false);
        assertEquals(report.document().objects().size(), plan.steps().size());
        assertEquals(report.document(), service.export());
        assertTrue(service.apply(service.parseJson(service.toJson(report.document())), false).isEmpty());
    }

    @Test
    void refusesWhatIsNotLio() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LioImporter.convert("{\"version\": 1, \"luns\": []}"));
        assertTrue(e.getMessage().contains("not an LIO saveconfig.json"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LioImporter.convert("{\"targets\": [}"));
        assertTrue(e.getMessage().contains("line 1, column 14"), e.getMessage());
    }

    @Test
    void emptyLioConfigurationIsAnEmptyDocument() {
        ImportReport empty = LioImporter.convert("{\"fabric_modules\": [], \"storage_objects\": [], \"targets\": []}");
        assertEquals(new ConfigDocument(1, List.of()), empty.document());
        assertEquals(List.of(), empty.unmapped());
    }

    static Map<String, Map<String, String>> byName(ObjectKind kind) {
        Map<String, Map<String, String>> m = new java.util.TreeMap<>();
        report.document().of(kind).forEach(o -> m.put(o.name(), o.properties()));
        return m;
    }

    static void assertUnmapped(Predicate<String> sentence) {
        assertTrue(report.unmapped().stream().anyMatch(sentence), () -> "no such sentence in:\n"
                + String.join("\n", report.unmapped()));
    }
}
