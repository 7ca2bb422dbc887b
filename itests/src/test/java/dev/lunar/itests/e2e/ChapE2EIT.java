package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * CHAP with a real initiator (libiscsi, which sends CHAP_A=5, MD5), because Debian's libiscsi has
 * no iSCSICHAP conformance suite. Targets with one-way and mutual CHAP are dropped into {@code etc/}
 * of a running Lunar (fileinstall creates the factory configurations live); discovery CHAP is
 * switched on last through the engine's own configuration. Every secret is checked to be absent
 * from karaf.log: Config Admin and the engine must never print one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChapE2EIT extends LunarE2ETest {

    private static final String ONE_WAY_IQN = "iqn.2026-11.dev.lunar:chap";
    private static final String MUTUAL_IQN = "iqn.2026-11.dev.lunar:mutual";
    private static final String USER = "chapuser";
    private static final String SECRET = "Lunar-chap-secret-1";
    private static final String WRONG_SECRET = "Lunar-chap-wrong-2";
    private static final String MUTUAL_USER = "lunar-target";
    private static final String MUTUAL_SECRET = "Lunar-target-secret-3";
    private static final String DISCOVERY_USER = "discoverer";
    private static final String DISCOVERY_SECRET = "Lunar-discovery-secret-4";

    /** Each config change is picked up by fileinstall's poll (about a second) plus SCR. */
    private static final int ATTEMPTS = 60;

    @BeforeAll
    void configureTargets() throws IOException, InterruptedException {
        Path etc = lunar.home().resolve("etc");
        write(etc.resolve("dev.lunar.target-chap.cfg"), Map.of("iqn", ONE_WAY_IQN, "auth", "chap",
                "chapUser", USER, "chapSecret", SECRET));
        write(etc.resolve("dev.lunar.lun-chap-0.cfg"), Map.of("target", ONE_WAY_IQN, "lun", "0",
                "backend", "ramdisk", "size", "64MiB"));
        write(etc.resolve("dev.lunar.target-mutual.cfg"), Map.of("iqn", MUTUAL_IQN, "auth", "chap",
                "chapUser", USER, "chapSecret", SECRET, "mutualUser", MUTUAL_USER, "mutualSecret", MUTUAL_SECRET));
        write(etc.resolve("dev.lunar.lun-mutual-0.cfg"), Map.of("target", MUTUAL_IQN, "lun", "0",
                "backend", "ramdisk", "size", "64MiB"));
        // Both targets have a LUN once an authenticated inquiry works on each.
        awaitTool(inquiry(USER, SECRET, ONE_WAY_IQN, ""), ToolResult::succeeded);
        awaitTool(inquiry(USER, SECRET, MUTUAL_IQN, mutualArgs(MUTUAL_USER, MUTUAL_SECRET)), ToolResult::succeeded);
    }

    @Test
    @Order(1)
    void theRightSecretLogsIn() {
        int before = sessionsLoggedIn(ONE_WAY_IQN);
        String out = assertSucceeded(runIscsiTool("iscsi-inq", inquiry(USER, SECRET, ONE_WAY_IQN, "")));

        assertTrue(out.contains("LUNAR") || out.toLowerCase().contains("vendor"), () -> "no INQUIRY data:\n" + out);
        assertEquals(before + 1, sessionsLoggedIn(ONE_WAY_IQN));
    }

    @Test
    @Order(2)
    void aWrongSecretIsAnAuthenticationFailureAndNoSession() {
        int before = sessionsLoggedIn(ONE_WAY_IQN);
        int refusedBefore = authenticationFailures();
        ToolResult r = runIscsiTool("iscsi-inq", inquiry(USER, WRONG_SECRET, ONE_WAY_IQN, ""));

        assertFalse(r.succeeded(), r::describe);
        assertEquals(before, sessionsLoggedIn(ONE_WAY_IQN), "a failed login must not create a session");
        assertEquals(refusedBefore + 1, authenticationFailures(), "the target answers 0x0201 (RFC 7143 §11.13.5)");
    }

    @Test
    @Order(3)
    void aWrongUserIsRefused() {
        int refusedBefore = authenticationFailures();
        ToolResult r = runIscsiTool("iscsi-inq", inquiry("someone-else", SECRET, ONE_WAY_IQN, ""));

        assertFalse(r.succeeded(), r::describe);
        assertEquals(refusedBefore + 1, authenticationFailures());
    }

    @Test
    @Order(4)
    void noCredentialsAreRefused() {
        int before = sessionsLoggedIn(ONE_WAY_IQN);
        ToolResult r = runIscsiTool("iscsi-inq", lunar.iscsiUrl("/" + ONE_WAY_IQN + "/0"));

        assertFalse(r.succeeded(), r::describe);
        assertEquals(before, sessionsLoggedIn(ONE_WAY_IQN));
    }

    @Test
    @Order(5)
    void mutualChapAuthenticatesTheTargetToo() {
        int before = sessionsLoggedIn(MUTUAL_IQN);
        assertSucceeded(runIscsiTool("iscsi-inq",
                inquiry(USER, SECRET, MUTUAL_IQN, mutualArgs(MUTUAL_USER, MUTUAL_SECRET))));

        assertEquals(before + 1, sessionsLoggedIn(MUTUAL_IQN));
    }

    @Test
    @Order(6)
    void anInitiatorExpectingAnotherTargetSecretRefusesTheTarget() {
        // The target's CHAP_R cannot match a secret it does not know: libiscsi gives up the login.
        ToolResult r = runIscsiTool("iscsi-inq",
                inquiry(USER, SECRET, MUTUAL_IQN, mutualArgs(MUTUAL_USER, "Not-the-target-secret-5")));

        assertFalse(r.succeeded(), r::describe);
    }

    @Test
    @Order(7)
    void aMutualTargetStillRequiresTheInitiatorsSecret() {
        ToolResult r = runIscsiTool("iscsi-inq",
                inquiry(USER, WRONG_SECRET, MUTUAL_IQN, mutualArgs(MUTUAL_USER, MUTUAL_SECRET)));

        assertFalse(r.succeeded(), r::describe);
    }

    @Test
    @Order(8)
    void discoveryChapWhenConfigured() throws IOException, InterruptedException {
        lunar.setProperty("etc/dev.lunar.iscsi.cfg", "discoveryChapUser", DISCOVERY_USER);
        lunar.setProperty("etc/dev.lunar.iscsi.cfg", "discoveryChapSecret", DISCOVERY_SECRET);
        String portal = "iscsi://" + DISCOVERY_USER + "%" + DISCOVERY_SECRET + "@127.0.0.1:" + lunar.iscsiPort();

        // Anonymous discovery stops working once the engine has the new configuration.
        awaitTool(lunar.iscsiUrl(""), r -> !r.succeeded());
        String listed = assertSucceeded(runIscsiTool("iscsi-ls", portal));

        assertTrue(listed.contains(ONE_WAY_IQN), () -> "iscsi-ls did not list " + ONE_WAY_IQN + ":\n" + listed);
        assertFalse(runIscsiTool("iscsi-ls", "iscsi://" + DISCOVERY_USER + "%" + WRONG_SECRET + "@127.0.0.1:"
                + lunar.iscsiPort()).succeeded(), "a wrong discovery secret is refused");
    }

    @Test
    @Order(9)
    void noSecretReachesTheLog() {
        String log = karafLog();
        assertTrue(log.contains("logged in to " + ONE_WAY_IQN), "the log is the right file and has the logins");
        for (String secret : new String[] {SECRET, WRONG_SECRET, MUTUAL_SECRET, DISCOVERY_SECRET}) {
            assertFalse(log.contains(secret), () -> "karaf.log contains the secret " + secret);
        }
    }

    // ------------------------------------------------------------------ helpers

    private String inquiry(String user, String secret, String iqn, String arguments) {
        return "iscsi://" + user + "%" + secret + "@127.0.0.1:" + lunar.iscsiPort() + "/" + iqn + "/0" + arguments;
    }

    /** libiscsi takes the credentials the target must prove in URL arguments. */
    private static String mutualArgs(String user, String secret) {
        return "?target_user=" + user + "&target_password=" + secret;
    }

    /** Retries a libiscsi tool (iscsi-ls for a portal URL, iscsi-inq otherwise) until {@code done}. */
    private void awaitTool(String url, Predicate<ToolResult> done) throws InterruptedException {
        String tool = url.matches("iscsi://[^/]*") ? "iscsi-ls" : "iscsi-inq";
        ToolResult last = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            last = runIscsiTool(tool, url);
            if (done.test(last)) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("configuration not applied after " + ATTEMPTS + " attempts; last run: "
                + last.describe() + "\n" + lunar.diagnostics());
    }

    private int sessionsLoggedIn(String iqn) {
        return count(Pattern.compile("logged in to " + Pattern.quote(iqn) + " "));
    }

    private int authenticationFailures() {
        return count(Pattern.compile("refused with status 0x0201"));
    }

    private int count(Pattern p) {
        Matcher m = p.matcher(karafLog());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private String karafLog() {
        try {
            return Files.readString(lunar.home().resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, Map<String, String> properties) throws IOException {
        StringBuilder text = new StringBuilder();
        properties.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        // Written aside and moved, so fileinstall never reads half a file.
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
