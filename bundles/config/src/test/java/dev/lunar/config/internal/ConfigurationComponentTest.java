package dev.lunar.config.internal;

import static dev.lunar.config.internal.FakeConfigurationAdmin.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.MoveReport;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PlanStep;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.SessionStats;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TargetService;
import dev.lunar.api.TransportInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationComponentTest {

    static final String IQN_A = "iqn.2026-11.dev.lunar:a";
    static final String IQN_B = "iqn.2026-11.dev.lunar:b";

    @TempDir
    Path etc;

    FakeConfigurationAdmin admin;
    ConfigurationComponent service;
    final List<SessionInfo> sessions = new ArrayList<>();

    @BeforeEach
    void setUp() {
        admin = new FakeConfigurationAdmin();
        service = new ConfigurationComponent(admin, etc);
        service.targetService = new SessionsOnly(sessions);
    }

    /** The default objects as Karaf's file installer makes them from the shipped etc/ files. */
    void karafDefaults() {
        admin.put("dev.lunar.target~default", "dev.lunar.target", map("iqn", "iqn.2026-11.dev.lunar:default",
                "auth", "none", "felix.fileinstall.filename", "file:" + etc + "/dev.lunar.target-default.cfg"));
        admin.put("dev.lunar.portal~default", "dev.lunar.portal", map("address", "127.0.0.1", "port", "3260",
                "transport", "tcp", "felix.fileinstall.filename", "file:" + etc + "/dev.lunar.portal-default.cfg"));
        admin.put("dev.lunar.lun~default-0", "dev.lunar.lun", map("target", "iqn.2026-11.dev.lunar:default",
                "lun", "0", "backend", "ramdisk", "size", "1GiB",
                "felix.fileinstall.filename", "file:" + etc + "/dev.lunar.lun-default-0.cfg"));
        admin.calls.clear();
    }

    @Test
    void findsObjectsOfBothShapesWithoutBookkeeping() {
        karafDefaults();
        // An installer without named factory configurations: a generated PID, the name only in the file name.
        admin.put("dev.lunar.target.7f3a", "dev.lunar.target", map("iqn", IQN_A,
                "felix.fileinstall.filename", "file:" + etc + "/dev.lunar.target-old.cfg"));
        List<ConfigObject> targets = service.list(ObjectKind.TARGET);
        assertEquals(List.of("default", "old"), targets.stream().map(ConfigObject::name).toList());
        assertEquals(Map.of("iqn", "iqn.2026-11.dev.lunar:default", "auth", "none"), targets.get(0).properties());
        assertEquals("1GiB", service.get(ObjectKind.LUN, "default-0").orElseThrow().properties().get("size"));
        assertTrue(service.get(ObjectKind.LUN, "nope").isEmpty());
    }

    @Test
    void createWritesConfigurationAndEtcFileAndRedactsSecrets() throws Exception {
        ConfigObject created = service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A, "auth", "chap",
                "chapUser", "alice", "chapSecret", "s3cret-s3cret"));
        assertEquals("********", created.properties().get("chapSecret"));
        assertEquals("********", service.get(ObjectKind.TARGET, "a").orElseThrow().properties().get("chapSecret"));

        FakeConfigurationAdmin.FakeConfiguration c = admin.configurations.get("dev.lunar.target~a");
        String reference = (String) c.properties.get("chapSecret");
        assertTrue(reference.matches("\\$\\[secret:lunar-secrets/dev\\.lunar\\.target-a-chapSecret-[0-9a-f]{8}\\]"),
                reference);
        Path secretFile = etc.resolve(reference.substring("$[secret:".length(), reference.length() - 1));
        assertEquals("s3cret-s3cret", Files.readString(secretFile));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(secretFile)));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(secretFile.getParent())));
        Path file = etc.resolve("dev.lunar.target-a.cfg");
        assertEquals(file.toFile().toURI().toString(), c.properties.get("felix.fileinstall.filename"));
        Properties onDisk = new Properties();
        try (var reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            onDisk.load(reader);
        }
        assertEquals(Map.of("iqn", IQN_A, "auth", "chap", "chapUser", "alice", "chapSecret", reference),
                Map.copyOf(onDisk));
        assertFalse(Files.readString(file).contains("s3cret"));
        assertEquals("s3cret-s3cret", service.export().of(ObjectKind.TARGET).get(0).properties().get("chapSecret"),
                "export resolves the reference");
    }

    String storedValue(String pid, String key) {
        return (String) admin.configurations.get(pid).properties.get(key);
    }

    Path secretFileOf(String reference) {
        return etc.resolve(reference.substring("$[secret:".length(), reference.length() - 1));
    }

    @Test
    void aChangedSecretGetsANewFileAndTheOldOneGoes() throws Exception {
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A));
        service.create(ObjectKind.ACL, "h", Map.of("target", IQN_A, "initiator", IQN_B, "chapUser", "h",
                "chapSecret", "first-secret", "mutualUser", "t", "mutualSecret", "mutual-secret"));
        String first = storedValue("dev.lunar.acl~h", "chapSecret");
        String mutual = storedValue("dev.lunar.acl~h", "mutualSecret");
        int updates = admin.updates("dev.lunar.acl~h");

        service.update(ObjectKind.ACL, "h", Map.of("chapSecret", "first-secret"), List.of());
        assertEquals(updates, admin.updates("dev.lunar.acl~h"), "the same secret changes nothing");

        service.update(ObjectKind.ACL, "h", Map.of("chapSecret", "second-secret"), List.of());
        String second = storedValue("dev.lunar.acl~h", "chapSecret");
        assertFalse(second.equals(first), "a new reference, so the component sees a changed configuration");
        assertEquals(mutual, storedValue("dev.lunar.acl~h", "mutualSecret"), "the unchanged secret keeps its file");
        assertEquals("second-secret", Files.readString(secretFileOf(second)));
        assertFalse(Files.exists(secretFileOf(first)));

        service.update(ObjectKind.ACL, "h", Map.of(), List.of("mutualUser", "mutualSecret"));
        assertFalse(Files.exists(secretFileOf(mutual)));

        service.delete(ObjectKind.ACL, "h", false);
        assertFalse(Files.exists(secretFileOf(second)));
        try (var left = Files.list(etc.resolve("lunar-secrets"))) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void aHandWrittenPlainSecretWorksAndMovesToAFileOnTheNextChange() throws Exception {
        admin.put("dev.lunar.target~hand", "dev.lunar.target", map("iqn", IQN_A, "auth", "chap",
                "chapUser", "u", "chapSecret", "plain-secret1",
                "felix.fileinstall.filename", "file:" + etc + "/dev.lunar.target-hand.cfg"));
        assertEquals("plain-secret1", service.export().objects().get(0).properties().get("chapSecret"));
        // What lunar:chap-set does with the same secret: the value moves out of the .cfg.
        service.update(ObjectKind.TARGET, "hand", Map.of("chapUser", "u", "chapSecret", "plain-secret1",
                "auth", "chap"), List.of());
        String reference = storedValue("dev.lunar.target~hand", "chapSecret");
        assertTrue(reference.startsWith("$[secret:lunar-secrets/"), reference);
        assertEquals("plain-secret1", Files.readString(secretFileOf(reference)));
        assertEquals("plain-secret1", service.export().objects().get(0).properties().get("chapSecret"));
    }

    @Test
    void aReferenceToAHandMadeSecretFileIsReadButNeverDeleted() throws Exception {
        Files.writeString(etc.resolve("my-secret"), "from-my-file\n");
        admin.put("dev.lunar.target~ref", "dev.lunar.target", map("iqn", IQN_A, "auth", "chap",
                "chapUser", "u", "chapSecret", "$[secret:my-secret]"));
        assertEquals("from-my-file", service.export().objects().get(0).properties().get("chapSecret"),
                "trimmed, as Config Admin's plugin reads it");
        service.update(ObjectKind.TARGET, "ref", Map.of("alias", "x"), List.of());
        assertEquals("$[secret:my-secret]", storedValue("dev.lunar.target~ref", "chapSecret"));
        service.delete(ObjectKind.TARGET, "ref", false);
        assertTrue(Files.exists(etc.resolve("my-secret")));

        admin.put("dev.lunar.target~out", "dev.lunar.target", map("iqn", IQN_B, "auth", "chap",
                "chapUser", "u", "chapSecret", "$[secret:../outside]"));
        assertEquals("$[secret:../outside]", service.export().objects().get(0).properties().get("chapSecret"),
                "nothing outside etc/ is read");
    }

    @Test
    void secretsTheFilesCannotCarryStayInline() throws Exception {
        service.create(ObjectKind.TARGET, "ws", Map.of("iqn", IQN_A, "auth", "chap", "chapUser", "u",
                "chapSecret", " padded-secret "));
        assertEquals(" padded-secret ", storedValue("dev.lunar.target~ws", "chapSecret"));
        service.create(ObjectKind.TARGET, "a..b", Map.of("iqn", IQN_B, "auth", "chap", "chapUser", "u",
                "chapSecret", "dotted-secret"));
        String reference = storedValue("dev.lunar.target~a..b", "chapSecret");
        assertFalse(reference.contains(".."), "Config Admin's plugin refuses '..' in a reference: " + reference);
        assertEquals("dotted-secret", Files.readString(secretFileOf(reference)));
    }

    @Test
    void etcFileEscapesWhatPropertiesSyntaxWouldMisread() throws Exception {
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A, "alias", "  Disk = #1 ünïcode\\"));
        Properties onDisk = new Properties();
        try (var reader = Files.newBufferedReader(etc.resolve("dev.lunar.target-a.cfg"), StandardCharsets.ISO_8859_1)) {
            onDisk.load(reader);
        }
        assertEquals("  Disk = #1 ünïcode\\", onDisk.getProperty("alias"));
    }

    @Test
    void createRefusesMistakesWithSentencesAndChangesNothing() {
        karafDefaults();
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A));
        service.create(ObjectKind.LUN, "a-0", Map.of("target", IQN_A, "lun", "0", "backend", "ramdisk", "size", "8M"));
        admin.calls.clear();

        assertRefused("target 'a' exists already", () -> service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_B)));
        assertRefused("has the same IQN iqn.2026-11.dev.lunar:a as target 'a'",
                () -> service.create(ObjectKind.TARGET, "b", Map.of("iqn", IQN_A)));
        assertRefused("uses LUN 0 of target iqn.2026-11.dev.lunar:a, which lun 'a-0' already uses",
                () -> service.create(ObjectKind.LUN, "a-x", Map.of("target", IQN_A, "lun", "0", "backend", "ramdisk",
                        "size", "8M")));
        assertRefused("names target iqn.2026-11.dev.lunar:nope, which does not exist",
                () -> service.create(ObjectKind.LUN, "n", Map.of("target", "iqn.2026-11.dev.lunar:nope", "lun", "0",
                        "backend", "ramdisk", "size", "8M")));
        assertRefused("names target iqn.2026-11.dev.lunar:nope, which does not exist",
                () -> service.create(ObjectKind.ACL, "n", Map.of("target", "iqn.2026-11.dev.lunar:nope",
                        "initiator", "iqn.1993-08.org.debian:01:abc")));
        assertRefused("unknown key 'blocksize' (did you mean 'blockSize'?",
                () -> service.create(ObjectKind.LUN, "a-1", Map.of("target", IQN_A, "lun", "1", "backend", "ramdisk",
                        "size", "8M", "blocksize", "4096")));
        assertRefused("unknown key 'colour'", () -> service.create(ObjectKind.PORTAL, "p",
                Map.of("address", "127.0.0.2", "colour", "blue")));
        assertRefused("is not an iqn name", () -> service.create(ObjectKind.TARGET, "b",
                Map.of("iqn", "iqn.2026-13.dev.lunar:b")));
        assertRefused("has upper-case letters", () -> service.create(ObjectKind.TARGET, "b",
                Map.of("iqn", "iqn.2026-11.dev.Lunar:b")));
        assertRefused("does not start with iqn., eui. or naa.", () -> service.create(ObjectKind.TARGET, "b",
                Map.of("iqn", "disk0")));
        assertRefused("is not an eui name", () -> service.create(ObjectKind.TARGET, "b", Map.of("iqn", "eui.1234")));
        assertRefused("port = 70000 must be a whole number from 1 to 65535",
                () -> service.create(ObjectKind.PORTAL, "p", Map.of("address", "127.0.0.2", "port", "70000")));
        assertRefused("address = 300.1.1.1",
                () -> service.create(ObjectKind.PORTAL, "p", Map.of("address", "300.1.1.1")));
        assertRefused("listens on 127.0.0.1:3260 like portal 'default'",
                () -> service.create(ObjectKind.PORTAL, "p", Map.of("address", "127.0.0.1")));
        assertRefused("lun = 16384 must be a whole number from 0 to 16383",
                () -> service.create(ObjectKind.LUN, "a-1", Map.of("target", IQN_A, "lun", "16384",
                        "backend", "ramdisk", "size", "8M")));
        assertRefused("size = lots must be a byte count",
                () -> service.create(ObjectKind.LUN, "a-1", Map.of("target", IQN_A, "lun", "1", "backend", "ramdisk",
                        "size", "lots")));
        assertRefused("a ramdisk LUN needs 'size'",
                () -> service.create(ObjectKind.LUN, "a-1", Map.of("target", IQN_A, "lun", "1", "backend", "ramdisk")));
        assertRefused("a file LUN needs 'path'",
                () -> service.create(ObjectKind.LUN, "a-1", Map.of("target", IQN_A, "lun", "1", "backend", "file")));
        assertRefused("auth = chap needs chapUser and chapSecret",
                () -> service.create(ObjectKind.TARGET, "b", Map.of("iqn", IQN_B, "auth", "chap")));
        assertRefused("chapUser is set but chapSecret is not",
                () -> service.create(ObjectKind.TARGET, "b", Map.of("iqn", IQN_B, "chapUser", "bob")));
        assertRefused("target name 'b/c' is not valid",
                () -> service.create(ObjectKind.TARGET, "b/c", Map.of("iqn", IQN_B)));
        assertRefused("target 'b' has no 'iqn'", () -> service.create(ObjectKind.TARGET, "b", Map.of()));
        assertRefused("readOnly = maybe must be true or false",
                () -> service.create(ObjectKind.ACL, "x", Map.of("target", IQN_A,
                        "initiator", "iqn.1993-08.org.debian:01:abc", "readOnly", "maybe")));
        assertEquals(List.of(), admin.calls, "a refused create must not touch Config Admin");
        assertFalse(Files.exists(etc.resolve("dev.lunar.target-b.cfg")));
    }

    @Test
    void secretsAreNeverInErrorMessages() {
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> service.update(
                ObjectKind.TARGET, "a", Map.of("chapSecret", ""), List.of()));
        assertFalse(e.getMessage().contains("= "), e.getMessage());
        String longSecret = "x".repeat(300);
        e = assertThrows(IllegalArgumentException.class, () -> service.update(ObjectKind.TARGET, "a",
                Map.of("chapUser", "u", "chapSecret", longSecret), List.of()));
        assertFalse(e.getMessage().contains(longSecret), e.getMessage());
    }

    @Test
    void unmappedLunsAndVendorBackendOptionsAreAccepted() {
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A));
        service.create(ObjectKind.LUN, "spare", Map.of("backend", "ramdisk", "size", "8M", "lun", "0"));
        service.create(ObjectKind.LUN, "a-0", Map.of("target", IQN_A, "lun", "0", "backend", "ramdisk", "size", "8M",
                "backendGraceSeconds", "5"));
        // lunar:lun-unmap removes the target; the LUN number is then free in no target.
        service.update(ObjectKind.LUN, "a-0", Map.of(), List.of("target"));
        service.update(ObjectKind.LUN, "spare", Map.of("target", IQN_A), List.of());
        // A vendor backend reads options this bundle cannot know; ramdisk and file options are checked.
        service.create(ObjectKind.LUN, "v", Map.of("target", IQN_A, "lun", "1", "backend", "acme-nvme",
                "acme.queuePairs", "8"));
        assertRefused("unknown key 'queuePairs'", () -> service.create(ObjectKind.LUN, "w", Map.of("target", IQN_A,
                "lun", "2", "backend", "file", "path", "/srv/w.img", "queuePairs", "8")));
        assertRefused("backendGraceSeconds = 9999 must be a whole number from 0 to 3600",
                () -> service.update(ObjectKind.LUN, "v", Map.of("backendGraceSeconds", "9999"), List.of()));
        assertRefused("lun 'x' has no 'backend'", () -> service.create(ObjectKind.LUN, "x", Map.of("size", "1M")));
    }

    @Test
    void acceptsEuiNaaAndIpv6() {
        service.create(ObjectKind.TARGET, "e", Map.of("iqn", "eui.02004567A425678D"));
        service.create(ObjectKind.TARGET, "n", Map.of("iqn", "naa.52004567BA64678D0123456789ABCDEF"));
        service.create(ObjectKind.PORTAL, "v6", Map.of("address", "::1", "port", "3261"));
        assertRefused("listens on [0:0:0:0:0:0:0:1]:3261 like portal 'v6'",
                () -> service.create(ObjectKind.PORTAL, "v6b", Map.of("address", "[0:0::1]", "port", "3261")));
    }

    @Test
    void aWildcardPortalTakesItsPortOnEveryAddress() {
        karafDefaults();
        assertRefused("portal 'any' listens on 0.0.0.0:3260, every address of port 3260, so portal 'default' "
                + "(127.0.0.1:3260) cannot listen too", () -> service.create(ObjectKind.PORTAL, "any",
                        Map.of("address", "0.0.0.0")));
        assertRefused("portal 'any6' listens on [0:0:0:0:0:0:0:0]:3260",
                () -> service.create(ObjectKind.PORTAL, "any6", Map.of("address", "::", "port", "3260")));
        service.create(ObjectKind.PORTAL, "any", Map.of("address", "0.0.0.0", "port", "3261"));
        assertRefused("so portal 'local' (127.0.0.2:3261) cannot listen too",
                () -> service.create(ObjectKind.PORTAL, "local", Map.of("address", "127.0.0.2", "port", "3261")));
    }

    @Test
    void updateChangesOnlyWhatDiffersAndValidates() {
        karafDefaults();
        ConfigObject changed = service.update(ObjectKind.LUN, "default-0", Map.of("size", "2GiB", "removable", "true"),
                List.of());
        assertEquals("2GiB", changed.properties().get("size"));
        assertEquals(1, admin.updates("dev.lunar.lun~default-0"));
        // The file installer's own file stays its business: the name it carries is kept.
        assertEquals("file:" + etc + "/dev.lunar.lun-default-0.cfg",
                admin.configurations.get("dev.lunar.lun~default-0").properties.get("felix.fileinstall.filename"));

        service.update(ObjectKind.LUN, "default-0", Map.of("size", "2GiB"), List.of());
        assertEquals(1, admin.updates("dev.lunar.lun~default-0"), "an update that changes nothing calls nothing");

        service.update(ObjectKind.LUN, "default-0", Map.of(), List.of("removable"));
        assertFalse(service.get(ObjectKind.LUN, "default-0").orElseThrow().properties().containsKey("removable"));

        assertRefused("blockSize = 1000 must be one of 512, 1024, 2048, 4096",
                () -> service.update(ObjectKind.LUN, "default-0", Map.of("blockSize", "1000"), List.of()));
        assertRefused("there is no lun 'ghost'; existing: default-0",
                () -> service.update(ObjectKind.LUN, "ghost", Map.of("size", "1G"), List.of()));
        assertRefused("a ramdisk LUN needs 'size'",
                () -> service.update(ObjectKind.LUN, "default-0", Map.of(), List.of("size")));
        assertEquals(2, admin.updates("dev.lunar.lun~default-0"));
    }

    @Test
    void deleteRemovesConfigurationAndFile() {
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A));
        assertTrue(Files.exists(etc.resolve("dev.lunar.target-a.cfg")));
        service.delete(ObjectKind.TARGET, "a", false);
        assertTrue(service.list(ObjectKind.TARGET).isEmpty());
        assertFalse(Files.exists(etc.resolve("dev.lunar.target-a.cfg")));
        assertRefused("there is no target 'a'", () -> service.delete(ObjectKind.TARGET, "a", false));
    }

    @Test
    void deletingAHandWrittenObjectRemovesItsFileButNothingOutsideEtc() throws Exception {
        karafDefaults();
        Path file = etc.resolve("dev.lunar.lun-default-0.cfg");
        Files.writeString(file, "# the shipped file\nlun = 0\n");
        service.delete(ObjectKind.LUN, "default-0", false);
        assertFalse(Files.exists(file));

        Path outside = Files.createTempFile("not-etc", ".cfg");
        admin.put("dev.lunar.target~elsewhere", "dev.lunar.target", map("iqn", IQN_A,
                "felix.fileinstall.filename", outside.toUri().toString()));
        service.delete(ObjectKind.TARGET, "elsewhere", false);
        assertTrue(Files.exists(outside), "a file outside etc/ is never deleted");
        Files.delete(outside);
    }

    @Test
    void typedAndArrayValuesReadAsText() {
        admin.put("dev.lunar.acl~typed", "dev.lunar.acl", Map.of("target", IQN_A, "initiator", IQN_B,
                "luns", new Integer[] {0, 2}, "readOnly", Boolean.TRUE, "component.id", 12L,
                "dev.lunar.x.target", "(filter)"));
        assertEquals(Map.of("target", IQN_A, "initiator", IQN_B, "luns", "0,2", "readOnly", "true"),
                service.get(ObjectKind.ACL, "typed").orElseThrow().properties());
    }

    @Test
    void deleteRefusesTargetsAndLunsInUseUnlessForced() {
        karafDefaults();
        sessions.add(session(7, "iqn.1993-08.org.debian:01:host1", "iqn.2026-11.dev.lunar:default"));
        sessions.add(session(9, "iqn.1993-08.org.debian:01:host2", "iqn.2026-11.dev.lunar:default"));
        sessions.add(session(11, "iqn.1993-08.org.debian:01:disco", ""));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> service.delete(ObjectKind.LUN, "default-0", false));
        assertTrue(e.getMessage().contains("2 sessions: iqn.1993-08.org.debian:01:host1 (TSIH 7), "
                + "iqn.1993-08.org.debian:01:host2 (TSIH 9)"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> service.delete(ObjectKind.TARGET, "default", false));
        assertEquals(List.of(), admin.calls);
        // Portals are not tied to one target's sessions.
        service.delete(ObjectKind.PORTAL, "default", false);
        service.delete(ObjectKind.LUN, "default-0", true);
        assertTrue(service.get(ObjectKind.LUN, "default-0").isEmpty());
    }

    @Test
    void exportKeepsSecretsAndRoundTripsThroughJson() {
        karafDefaults();
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A, "auth", "chap", "chapUser", "alice",
                "chapSecret", "s3cret \"quoted\"\n"));
        service.create(ObjectKind.ACL, "a-host", Map.of("target", IQN_A, "initiator", "iqn.1993-08.org.debian:01:abc",
                "luns", "0,1", "chapUser", "h", "chapSecret", "hostsecret12"));
        ConfigDocument exported = service.export();
        assertEquals(5, exported.objects().size());
        String json = service.toJson(exported);
        assertTrue(json.contains("s3cret \\\"quoted\\\"\\n"), json);
        assertEquals(exported, service.parseJson(json));
        assertEquals(json, service.toJson(service.parseJson(json)), "writing is stable");
        assertTrue(json.indexOf("\"targets\"") < json.indexOf("\"portals\"")
                && json.indexOf("\"portals\"") < json.indexOf("\"luns\"")
                && json.indexOf("\"luns\"") < json.indexOf("\"acls\""), json);
        assertTrue(json.indexOf("\"auth\"") < json.indexOf("\"chapSecret\"")
                && json.indexOf("\"chapSecret\"") < json.indexOf("\"chapUser\""), "keys sorted: " + json);
        assertTrue(json.startsWith("{\n  \"version\": 1,\n  \"targets\": [\n    {\n      \"name\": \"a\",\n"), json);
    }

    @Test
    void applyCreatesInOrderThenIsIdempotentAndTouchesNothingUnchanged() {
        karafDefaults();
        ConfigDocument desired = document(service.export(),
                new ConfigObject(ObjectKind.ACL, "b-host", Map.of("target", IQN_B,
                        "initiator", "iqn.1993-08.org.debian:01:abc")),
                new ConfigObject(ObjectKind.LUN, "b-0", Map.of("target", IQN_B, "lun", "0", "backend", "ramdisk",
                        "size", "64MiB")),
                new ConfigObject(ObjectKind.PORTAL, "second", Map.of("address", "127.0.0.1", "port", "3261")),
                new ConfigObject(ObjectKind.TARGET, "b", Map.of("iqn", IQN_B)));
        ApplyPlan plan = service.apply(desired, false);
        assertTrue(plan.applied());
        assertEquals(List.of("CREATE target b", "CREATE portal second", "CREATE lun b-0", "CREATE acl b-host"),
                describe(plan));
        assertEquals(0, admin.updates("dev.lunar.target~default") + admin.updates("dev.lunar.portal~default")
                + admin.updates("dev.lunar.lun~default-0"), "unchanged objects get no update call");

        admin.calls.clear();
        ApplyPlan again = service.apply(desired, false);
        assertTrue(again.isEmpty(), () -> describe(again).toString());
        assertEquals(List.of(), admin.calls);

        // One LUN changes: exactly one update call, on that LUN.
        List<ConfigObject> objects = new ArrayList<>(desired.objects());
        objects.replaceAll(o -> o.name().equals("b-0") ? new ConfigObject(ObjectKind.LUN, "b-0",
                Map.of("target", IQN_B, "lun", "0", "backend", "ramdisk", "size", "128MiB")) : o);
        ApplyPlan one = service.apply(new ConfigDocument(1, objects), false);
        assertEquals(List.of("UPDATE lun b-0"), describe(one));
        assertEquals("64MiB", one.steps().get(0).before().get("size"));
        assertEquals("128MiB", one.steps().get(0).after().get("size"));
        assertEquals(List.of("update dev.lunar.lun~b-0"), admin.calls);
    }

    @Test
    void applyDeletesDependantsFirstAndRedactsPlans() {
        karafDefaults();
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A, "auth", "chap", "chapUser", "u",
                "chapSecret", "topsecret1234"));
        service.create(ObjectKind.LUN, "a-0", Map.of("target", IQN_A, "lun", "0", "backend", "ramdisk", "size", "8M"));
        service.create(ObjectKind.ACL, "a-h", Map.of("target", IQN_A, "initiator", "iqn.1993-08.org.debian:01:abc"));
        service.create(ObjectKind.PORTAL, "p2", Map.of("address", "127.0.0.1", "port", "3300"));
        ConfigDocument onlyDefaults = new ConfigDocument(1, service.export().objects().stream()
                .filter(o -> o.name().startsWith("default")).toList());
        ApplyPlan dry = service.apply(onlyDefaults, true);
        assertEquals(List.of("DELETE acl a-h", "DELETE lun a-0", "DELETE portal p2", "DELETE target a"), describe(dry));
        assertEquals("********", dry.steps().get(3).before().get("chapSecret"));
        assertFalse(dry.applied());
        assertEquals(4, service.export().objects().size() - 3, "a dry run changes nothing");

        service.apply(onlyDefaults, false);
        assertEquals(onlyDefaults, service.export());
        assertFalse(Files.exists(etc.resolve("dev.lunar.target-a.cfg")));
    }

    @Test
    void aChangedSecretIsVisibleInThePlanButNotItsValue() {
        service.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A, "chapUser", "u", "chapSecret", "old-secret-1"));
        ConfigDocument changed = new ConfigDocument(1, List.of(new ConfigObject(ObjectKind.TARGET, "a",
                Map.of("iqn", IQN_A, "chapUser", "u", "chapSecret", "new-secret-2", "alias", "A"))));
        PlanStep step = service.apply(changed, true).steps().get(0);
        assertEquals("********", step.before().get("chapSecret"));
        assertEquals("******** (changed)", step.after().get("chapSecret"));
        ConfigDocument sameSecret = new ConfigDocument(1, List.of(new ConfigObject(ObjectKind.TARGET, "a",
                Map.of("iqn", IQN_A, "chapUser", "u", "chapSecret", "old-secret-1", "alias", "A"))));
        assertEquals("********", service.apply(sameSecret, true).steps().get(0).after().get("chapSecret"));
    }

    @Test
    void dryRunTouchesNothing() {
        karafDefaults();
        ConfigDocument desired = document(new ConfigDocument(1, List.of()),
                new ConfigObject(ObjectKind.TARGET, "b", Map.of("iqn", IQN_B)));
        ApplyPlan plan = service.apply(desired, true);
        assertFalse(plan.applied());
        assertEquals(List.of("DELETE lun default-0", "DELETE portal default", "DELETE target default",
                "CREATE target b"), describe(plan));
        assertEquals(List.of(), admin.calls);
        assertEquals(3, service.export().objects().size());
    }

    @Test
    void applyValidatesTheWholeDocumentBeforeChangingAnything() {
        karafDefaults();
        ConfigDocument bad = document(service.export(),
                new ConfigObject(ObjectKind.TARGET, "b", Map.of("iqn", IQN_B)),
                new ConfigObject(ObjectKind.LUN, "c-0", Map.of("target", "iqn.2026-11.dev.lunar:c", "lun", "0",
                        "backend", "ramdisk", "size", "8M")));
        assertRefused("lun 'c-0' names target iqn.2026-11.dev.lunar:c, which does not exist",
                () -> service.apply(bad, false));
        ConfigDocument twoLunZero = document(service.export(),
                new ConfigObject(ObjectKind.LUN, "default-0b", Map.of("target", "iqn.2026-11.dev.lunar:default",
                        "lun", "0", "backend", "ramdisk", "size", "8M")));
        assertRefused("which lun 'default-0' already uses", () -> service.apply(twoLunZero, false));
        assertRefused("document version 2 is not supported", () -> service.apply(new ConfigDocument(2, List.of()),
                false));
        assertEquals(List.of(), admin.calls);
    }

    @Test
    void applyRefusesToDeleteWhatSessionsUse() {
        karafDefaults();
        sessions.add(session(3, "iqn.1993-08.org.debian:01:host1", "iqn.2026-11.dev.lunar:default"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> service.apply(new ConfigDocument(1, List.of()), false));
        assertTrue(e.getMessage().contains("iqn.1993-08.org.debian:01:host1 (TSIH 3)"), e.getMessage());
        assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());
        assertEquals(List.of(), admin.calls);
    }

    @Test
    void applyMovesALunNumberBetweenObjectsByDeletingFirst() {
        karafDefaults();
        ConfigDocument moved = new ConfigDocument(1, service.export().objects().stream()
                .map(o -> o.kind() == ObjectKind.LUN ? new ConfigObject(ObjectKind.LUN, "renamed", o.properties()) : o)
                .toList());
        assertEquals(List.of("DELETE lun default-0", "CREATE lun renamed"), describe(service.apply(moved, false)));
    }

    @Test
    void worksWithoutEtcOrTargetService() {
        ConfigurationComponent bare = new ConfigurationComponent(admin, (Path) null);
        bare.create(ObjectKind.TARGET, "a", Map.of("iqn", IQN_A));
        assertFalse(admin.configurations.get("dev.lunar.target~a").properties.containsKey("felix.fileinstall.filename"));
        bare.delete(ObjectKind.TARGET, "a", false);
        assertTrue(bare.list(ObjectKind.TARGET).isEmpty());
    }

    static ConfigDocument document(ConfigDocument base, ConfigObject... more) {
        List<ConfigObject> all = new ArrayList<>(base.objects());
        all.addAll(List.of(more));
        return new ConfigDocument(1, all);
    }

    static List<String> describe(ApplyPlan plan) {
        return plan.steps().stream().map(ConfigurationComponentTest::describe).toList();
    }

    static String describe(PlanStep s) {
        return s.action() + " " + s.kind().label() + " " + s.name();
    }

    static void assertRefused(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }

    static SessionInfo session(int tsih, String initiator, String target) {
        return new SessionInfo(tsih, initiator, "400001370000", target, 1, "tcp", "127.0.0.1:50000", Map.of());
    }

    /** A TargetService that only knows its sessions. */
    record SessionsOnly(List<SessionInfo> sessions) implements TargetService {
        @Override
        public List<TargetInfo> targets() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<PortalInfo> portals() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<SessionStats> sessionStats() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<TransportInfo> transports() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<CompletionStage<Void>> killSession(int tsih, String reason) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MoveReport moveConnections(String fromKind, String toKind, Optional<Integer> tsih) {
            throw new UnsupportedOperationException();
        }
    }
}
