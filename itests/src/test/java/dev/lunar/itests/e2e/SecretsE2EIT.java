package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * CHAP secrets at rest and over JMX. {@code lunar:chap-set} stores a secret in an owner-only file
 * under {@code etc/lunar-secrets/} and a {@code $[secret:...]} reference in the {@code .cfg}; Config
 * Admin's interpolation plugin gives the target component the real value, so a CHAP login with it
 * works (libiscsi) while no {@code .cfg}, nothing under {@code data/}, no {@code config:list} and no
 * log line holds it. Then the {@code dev.lunar:type=Configuration} MXBean over Karaf's JMX
 * connector: an admin creates and deletes, a viewer only reads.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretsE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:secrets";
    private static final String HAND_IQN = "iqn.2026-11.dev.lunar:handwritten";
    private static final String USER = "secretuser";
    private static final String SECRET = "Lunar-SECRET-at-rest-1";
    private static final String SECOND_SECRET = "Lunar-SECRET-at-rest-2";
    private static final String HAND_SECRET = "Lunar-SECRET-by-hand-3";
    private static final String JMX_SECRET = "Lunar-SECRET-over-jmx-4";
    private static final String DISCOVERY_SECRET = "Lunar-SECRET-discovery-5";
    private static final String ADMIN = "secretsadmin";
    private static final String ADMIN_PASSWORD = "jmx-admin-password";
    private static final String VIEWER = "secretsviewer";
    private static final String VIEWER_PASSWORD = "jmx-viewer-password";
    private static final String[] ALL_SECRETS = {SECRET, SECOND_SECRET, HAND_SECRET, JMX_SECRET,
        DISCOVERY_SECRET};

    /** Each change reaches the component through Config Admin and SCR, asynchronously. */
    private static final int ATTEMPTS = 60;

    @BeforeAll
    void createTarget() throws IOException {
        assertSucceeded(lunar.shell("lunar:target-create --iqn " + IQN + " secrets"));
        assertSucceeded(lunar.shell("lunar:lun-create --target secrets --lun 0 --backend ramdisk --size 16MiB secrets-0"));
        // Karaf's PropertiesLoginModule reads users.properties at every login: no restart needed.
        Files.writeString(lunar.home().resolve("etc/users.properties"), "\n" + ADMIN + " = " + ADMIN_PASSWORD
                + ",viewer,admin\n" + VIEWER + " = " + VIEWER_PASSWORD + ",viewer\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
    }

    @Test
    @Order(1)
    void chapSetKeepsTheSecretInAnOwnerOnlyFileAndTheTargetUsesIt() throws Exception {
        assertSucceeded(lunar.shell("lunar:chap-set --target secrets --user " + USER + " --secret " + SECRET));
        await(inquiry(SECRET, IQN), ToolResult::succeeded);
        assertFalse(runIscsiTool("iscsi-inq", inquiry(SECOND_SECRET, IQN)).succeeded(), "a wrong secret is refused");

        awaitReference("dev.lunar.target-secrets.cfg");
        String reference = storedSecret("dev.lunar.target-secrets.cfg");
        assertTrue(reference.startsWith("$[secret:lunar-secrets/dev.lunar.target-secrets-chapSecret-"), reference);
        Path file = lunar.home().resolve("etc").resolve(reference.substring("$[secret:".length(),
                reference.length() - 1));
        assertEquals(SECRET, Files.readString(file, StandardCharsets.UTF_8));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        assertNowhereAtRest(SECRET);
    }

    @Test
    @Order(2)
    void aNewSecretReachesTheTargetAndTheOldFileGoes() throws Exception {
        Path old = secretFile("dev.lunar.target-secrets.cfg");
        assertSucceeded(lunar.shell("lunar:chap-set --target secrets --user " + USER + " --secret " + SECOND_SECRET));
        await(inquiry(SECOND_SECRET, IQN), ToolResult::succeeded);
        assertFalse(runIscsiTool("iscsi-inq", inquiry(SECRET, IQN)).succeeded(), "the old secret no longer works");
        assertFalse(Files.exists(old), "the old secret's file is deleted");
        assertNowhereAtRest(SECOND_SECRET);
    }

    @Test
    @Order(3)
    void aHandWrittenPlainSecretWorksAndChapSetMovesItOut() throws Exception {
        Path etc = lunar.home().resolve("etc");
        Path tmp = lunar.home().resolve("dev.lunar.target-hand.cfg.partial");
        Files.writeString(tmp, "# by hand\niqn = " + HAND_IQN + "\nauth = chap\nchapUser = " + USER
                + "\nchapSecret = " + HAND_SECRET + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, etc.resolve("dev.lunar.target-hand.cfg"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        // fileinstall polls etc/ (about every second) before the target exists for the shell.
        for (int i = 0; i < ATTEMPTS && !lunar.shell("lunar:target-info hand").succeeded(); i++) {
            Thread.sleep(500);
        }
        assertSucceeded(lunar.shell("lunar:lun-create --target hand --lun 0 --backend ramdisk --size 16MiB hand-0"));
        await(inquiry(HAND_SECRET, HAND_IQN), ToolResult::succeeded);

        assertSucceeded(lunar.shell("lunar:chap-set --target hand --user " + USER + " --secret " + HAND_SECRET));
        awaitReference("dev.lunar.target-hand.cfg");
        assertFalse(Files.readString(etc.resolve("dev.lunar.target-hand.cfg")).contains(HAND_SECRET));
        assertTrue(Files.readString(etc.resolve("dev.lunar.target-hand.cfg")).contains("# by hand"),
                "fileinstall keeps the operator's comment");
        assertSucceeded(runIscsiTool("iscsi-inq", inquiry(HAND_SECRET, HAND_IQN)));
        assertNowhereAtRest(HAND_SECRET);
    }

    @Test
    @Order(4)
    void configListShowsNoSecretAndExportTheSecrets() {
        // Karaf 4.4's config:list prints processed properties: the interpolation plugin resolves the
        // reference for it, and Lunar's redaction plugin (after it) hides the result.
        String listed = assertSucceeded(lunar.shell("config:list '(service.factoryPid=dev.lunar.target)'"));
        assertTrue(listed.contains("chapSecret = ********"), listed);
        for (String secret : ALL_SECRETS) {
            assertFalse(listed.contains(secret), () -> "config:list shows " + secret + ":\n" + listed);
        }
        String targets = assertSucceeded(lunar.shell("lunar:target-list"));
        assertFalse(targets.contains(SECOND_SECRET), targets);
        String exported = assertSucceeded(lunar.shell("lunar:export"));
        assertTrue(exported.contains(SECOND_SECRET), "an export reproduces the configuration:\n" + exported);
        assertFalse(exported.contains("$[secret:"), exported);
    }

    @Test
    @Order(5)
    void anAdminCreatesAndDeletesThroughJmxAndAViewerOnlyReads() throws Exception {
        ObjectName name = new ObjectName("dev.lunar:type=Configuration");
        try (JMXConnector admin = jmx(ADMIN, ADMIN_PASSWORD); JMXConnector viewer = jmx(VIEWER, VIEWER_PASSWORD)) {
            MBeanServerConnection connection = admin.getMBeanServerConnection();
            for (int i = 0; i < ATTEMPTS && !connection.isRegistered(name); i++) {
                Thread.sleep(1000);
            }
            ConfigurationMXBean asAdmin = JMX.newMXBeanProxy(connection, name, ConfigurationMXBean.class);
            Map<String, String> created = asAdmin.create("target", "viajmx", Map.of("iqn",
                    "iqn.2026-11.dev.lunar:viajmx", "auth", "chap", "chapUser", USER, "chapSecret", JMX_SECRET));
            assertEquals("********", created.get("chapSecret"));
            assertEquals("********", asAdmin.list("target").get("viajmx").get("chapSecret"));
            assertTrue(asAdmin.exportJson().contains(JMX_SECRET), "an admin's export carries secrets");
            assertTrue(Files.exists(lunar.home().resolve("etc/dev.lunar.target-viajmx.cfg")));
            assertNowhereAtRest(JMX_SECRET);

            IllegalArgumentException mistake = assertThrows(IllegalArgumentException.class,
                    () -> asAdmin.create("target", "viajmx", Map.of("iqn", "iqn.2026-11.dev.lunar:other")));
            assertTrue(mistake.getMessage().contains("exists already"), mistake.getMessage());

            ConfigurationMXBean asViewer = JMX.newMXBeanProxy(viewer.getMBeanServerConnection(), name,
                    ConfigurationMXBean.class);
            assertTrue(asViewer.list("target").containsKey("viajmx"), "a viewer reads");
            assertThrows(SecurityException.class, asViewer::exportJson, "secrets are for admins only");
            assertThrows(SecurityException.class, () -> asViewer.delete("target", "viajmx", false));
            assertThrows(SecurityException.class, () -> asViewer.create("target", "v2",
                    Map.of("iqn", "iqn.2026-11.dev.lunar:v2")));

            asAdmin.delete("target", "viajmx", false);
            assertFalse(asAdmin.list("target").containsKey("viajmx"));
            assertFalse(Files.exists(lunar.home().resolve("etc/dev.lunar.target-viajmx.cfg")));
            try (Stream<Path> files = Files.list(lunar.home().resolve("etc/lunar-secrets"))) {
                assertTrue(files.noneMatch(f -> f.getFileName().toString().contains("viajmx")),
                        "the deleted target's secret file is gone");
            }
        }
    }

    @Test
    @Order(6)
    void discoveryChapKeepsItsSecretInAFileToo() throws Exception {
        assertSucceeded(lunar.shell("lunar:chap-set --discovery --user discoverer --secret " + DISCOVERY_SECRET));
        String portal = "iscsi://discoverer%" + DISCOVERY_SECRET + "@127.0.0.1:" + lunar.iscsiPort();
        ToolResult anonymous = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            anonymous = runIscsiTool("iscsi-ls", lunar.iscsiUrl(""));
            if (!anonymous.succeeded()) {
                break;
            }
            Thread.sleep(1000);
        }
        assertFalse(anonymous.succeeded(), "anonymous discovery is refused once the engine has the secret");
        String listed = assertSucceeded(runIscsiTool("iscsi-ls", portal));
        assertTrue(listed.contains(IQN), listed);
        try (Stream<Path> files = Files.list(lunar.home().resolve("etc/lunar-secrets"))) {
            List<Path> discovery = files.filter(f -> f.getFileName().toString()
                    .startsWith("dev.lunar.iscsi-discoveryChapSecret-")).toList();
            assertEquals(1, discovery.size(), discovery::toString);
            assertEquals(DISCOVERY_SECRET, Files.readString(discovery.get(0), StandardCharsets.UTF_8));
        }
        assertNowhereAtRest(DISCOVERY_SECRET);
    }

    @Test
    @Order(7)
    void noSecretReachesTheLog() throws IOException {
        String log = Files.readString(lunar.home().resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        assertTrue(log.contains("logged in to " + IQN), "the log is the right file and has the logins");
        for (String secret : ALL_SECRETS) {
            assertFalse(log.contains(secret), () -> "karaf.log contains the secret " + secret);
        }
    }

    /** The operations the test calls, as the MXBean declares them (open types, no Lunar classes). */
    public interface ConfigurationMXBean {
        Map<String, Map<String, String>> list(String kind);

        Map<String, String> create(String kind, String name, Map<String, String> properties);

        void delete(String kind, String name, boolean force);

        String exportJson();
    }

    // ------------------------------------------------------------------ helpers

    private String inquiry(String secret, String iqn) {
        return "iscsi://" + USER + "%" + secret + "@127.0.0.1:" + lunar.iscsiPort() + "/" + iqn + "/0";
    }

    private void await(String url, Predicate<ToolResult> done) throws InterruptedException {
        ToolResult last = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            last = runIscsiTool("iscsi-inq", url);
            if (done.test(last)) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("configuration not applied after " + ATTEMPTS + " attempts; last run: "
                + last.describe() + "\n" + lunar.diagnostics());
    }

    /**
     * Waits until {@code cfg} holds a {@code $[secret:...]} reference. Fileinstall rewrites the file
     * in place (not by rename), so a read can meet it half written: only the finished state counts.
     */
    private void awaitReference(String cfg) throws IOException, InterruptedException {
        String stored = storedSecret(cfg);
        for (int i = 0; i < ATTEMPTS && (stored == null || !stored.startsWith("$[secret:lunar-secrets/")); i++) {
            Thread.sleep(500);
            stored = storedSecret(cfg);
        }
        assertTrue(stored != null && stored.startsWith("$[secret:lunar-secrets/"),
                cfg + " holds no secret reference: " + stored);
    }

    private String storedSecret(String cfg) throws IOException {
        Properties p = new Properties();
        try (var reader = Files.newBufferedReader(lunar.home().resolve("etc").resolve(cfg), StandardCharsets.ISO_8859_1)) {
            p.load(reader);
        }
        return p.getProperty("chapSecret");
    }

    private Path secretFile(String cfg) throws IOException {
        String reference = storedSecret(cfg);
        return lunar.home().resolve("etc").resolve(reference.substring("$[secret:".length(), reference.length() - 1));
    }

    /** No .cfg in etc/ and no file under data/ (Config Admin's store, caches) holds {@code secret}. */
    private void assertNowhereAtRest(String secret) throws IOException {
        List<Path> holding = new ArrayList<>();
        byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> cfgs = Files.list(lunar.home().resolve("etc"));
                Stream<Path> data = Files.walk(lunar.home().resolve("data"))) {
            Stream.concat(cfgs.filter(f -> f.toString().endsWith(".cfg")), data.filter(Files::isRegularFile))
                    .filter(f -> !f.startsWith(lunar.home().resolve("data/log")))
                    .filter(f -> contains(f, needle))
                    .forEach(holding::add);
        }
        assertEquals(List.of(), holding, "files holding the secret in clear text");
    }

    private static boolean contains(Path file, byte[] needle) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            if (!Files.exists(file)) {
                return false; // a cache file that went meanwhile
            }
            throw new UncheckedIOException(e);
        }
        outer:
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private JMXConnector jmx(String user, String password) throws IOException {
        Properties management = new Properties();
        try (var reader = Files.newBufferedReader(lunar.home().resolve("etc/org.apache.karaf.management.cfg"))) {
            management.load(reader);
        }
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi://127.0.0.1:" + management.getProperty("rmiServerPort")
                + "/jndi/rmi://127.0.0.1:" + management.getProperty("rmiRegistryPort") + "/karaf-root");
        return JMXConnectorFactory.connect(url, Map.of(JMXConnector.CREDENTIALS, new String[] {user, password}));
    }
}
