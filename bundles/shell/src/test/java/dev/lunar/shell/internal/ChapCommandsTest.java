package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.ObjectKind;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.karaf.shell.api.console.Session;
import org.junit.jupiter.api.Test;

class ChapCommandsTest {

    private static final String IQN = "iqn.2026-11.dev.lunar:db";

    private final FakeConfigurationService configs = new FakeConfigurationService()
            .with(ObjectKind.TARGET, "db", Map.of("iqn", IQN, "auth", "none"))
            .with(ObjectKind.ACL, "host1", Map.of("target", IQN, "initiator", "iqn.i", "mutualUser", "old",
                    "mutualSecret", "old-secret-123"));

    /** Prompts seen and the mask used for each, answered from {@code typed}. */
    private final List<String> prompts = new ArrayList<>();

    private Session typing(String... typed) {
        Deque<String> answers = new ArrayDeque<>(List.of(typed));
        return (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("readLine")) {
                        prompts.add(args[0] + "|mask=" + (int) (Character) args[1]);
                        return answers.poll();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void targetCredentialsSwitchItToChap() throws Exception {
        ChapSetCommand set = new ChapSetCommand();
        set.configs = configs;
        set.target = "db";
        set.user = "alice";
        set.secret = "alice-secret-1";
        set.mutualUser = "db-target";
        set.mutualSecret = "target-secret-1";

        Console console = Console.run(set);

        assertEquals(Map.of("iqn", IQN, "auth", "chap", "chapUser", "alice", "chapSecret", "alice-secret-1",
                "mutualUser", "db-target", "mutualSecret", "target-secret-1"), configs.properties(ObjectKind.TARGET, "db"));
        assertEquals("Target db now requires CHAP user alice (mutual: db-target).\n", console.out);
        assertEquals("", console.err);
    }

    @Test
    void aSecretLeftOutIsTypedTwiceWithoutEcho() throws Exception {
        ChapSetCommand set = new ChapSetCommand();
        set.configs = configs;
        set.acl = "host1";
        set.user = "host1";
        set.session = typing("typed-secret-1", "typed-secret-1");

        Console console = Console.run(set);

        assertEquals(List.of("CHAP secret: |mask=0", "CHAP secret again: |mask=0"), prompts);
        // One-way CHAP now: the old mutual credentials must not linger.
        assertEquals(Map.of("target", IQN, "initiator", "iqn.i", "chapUser", "host1", "chapSecret", "typed-secret-1"),
                configs.properties(ObjectKind.ACL, "host1"));
        assertFalse(console.out.contains("typed-secret-1"), console.out);
    }

    @Test
    void typingTwoDifferentSecretsChangesNothing() {
        ChapSetCommand set = new ChapSetCommand();
        set.configs = configs;
        set.target = "db";
        set.user = "alice";
        set.session = typing("first-secret-1", "other-secret-1");

        assertEquals("The two CHAP secrets typed differ; nothing was changed.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(set)).getMessage());
        assertEquals("none", configs.properties(ObjectKind.TARGET, "db").get("auth"));
    }

    @Test
    void mistakesAreSentences() {
        ChapSetCommand set = new ChapSetCommand();
        set.configs = configs;
        set.user = "alice";
        set.secret = "alice-secret-1";
        assertEquals("Say whose CHAP credentials these are with exactly one of --target, --acl or --discovery.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(set)).getMessage());
        set.target = "db";
        set.discovery = true;
        assertThrows(IllegalArgumentException.class, () -> Console.run(set));
        set.discovery = false;
        set.mutualUser = "db-target";
        set.mutualSecret = "alice-secret-1";
        assertEquals("The mutual secret must differ from the CHAP secret (RFC 7143 §9.2.1).",
                assertThrows(IllegalArgumentException.class, () -> Console.run(set)).getMessage());
        set.mutualUser = null;
        set.mutualSecret = null;
        set.secret = null;
        assertEquals("Give the CHAP secret as an option: there is no terminal to type it on.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(set)).getMessage());
        assertEquals("none", configs.properties(ObjectKind.TARGET, "db").get("auth"));
    }

    @Test
    void clearRemovesEveryCredentialAndTheTargetGoesBackToNone() throws Exception {
        configs.with(ObjectKind.TARGET, "db", Map.of("iqn", IQN, "auth", "chap", "chapUser", "a", "chapSecret",
                "alice-secret-1", "mutualUser", "m", "mutualSecret", "mutual-secret-1"));
        ChapClearCommand clear = new ChapClearCommand();
        clear.configs = configs;
        clear.target = IQN;

        Console.run(clear);

        assertEquals(Map.of("iqn", IQN, "auth", "none"), configs.properties(ObjectKind.TARGET, "db"));
    }

    @Test
    void discoveryWithoutConfigAdminSaysSo() {
        ChapClearCommand clear = new ChapClearCommand();
        clear.discovery = true;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Console.run(clear));
        assertTrue(e.getMessage().startsWith("Config Admin (org.osgi.service.cm.ConfigurationAdmin) is not running"),
                e.getMessage());
    }

    @Test
    void secretsOnTheCommandLineAreHiddenFromTheThreadNameWhileTheCommandRuns() throws Exception {
        List<String> threadNames = new ArrayList<>();
        ChapSetCommand set = new ChapSetCommand();
        // Records the thread's name whenever the service is called: what karaf.log would print.
        set.configs = (dev.lunar.api.ConfigurationService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {dev.lunar.api.ConfigurationService.class}, (proxy, method, args) -> {
                    threadNames.add(Thread.currentThread().getName());
                    try {
                        return method.invoke(configs, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        set.target = "db";
        set.user = "alice";
        set.secret = "alice-secret-1";
        set.mutualUser = "db-target";
        set.mutualSecret = "target-secret-1";
        String command = "pipe-lunar:chap-set --target db --user alice --secret alice-secret-1 --mutual-user db-target"
                + " --mutual-secret target-secret-1";
        List<String> after = new ArrayList<>();
        Thread shell = new Thread(() -> {
            try {
                Console.run(set);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            after.add(Thread.currentThread().getName());
        }, command);
        shell.start();
        shell.join();

        assertEquals("alice-secret-1", configs.properties(ObjectKind.TARGET, "db").get("chapSecret"), "it ran");
        assertTrue(!threadNames.isEmpty() && threadNames.stream().allMatch(n -> n.equals("pipe-lunar:chap-set --target db"
                + " --user alice --secret ******** --mutual-user db-target --mutual-secret ********")), threadNames::toString);
        assertEquals(List.of(command), after, "the name is restored afterwards");
    }

    @Test
    void discoveryCredentialsGoToTheEngineConfiguration() throws Exception {
        Map<String, Object> stored = new TreeMap<>();
        ChapSetCommand set = new ChapSetCommand();
        set.discovery = true;
        set.user = "disc";
        set.secret = "discovery-secret";
        set.configAdmin = FakeConfigAdmin.of(stored);

        Console.run(set);

        assertEquals(Map.of("discoveryChapUser", "disc", "discoveryChapSecret", "discovery-secret", "queueDepth", 64),
                stored);

        ChapClearCommand clear = new ChapClearCommand();
        clear.discovery = true;
        clear.configAdmin = set.configAdmin;
        assertEquals("Discovery sessions no longer use CHAP.\n", Console.run(clear).out);
        assertEquals(Map.of("queueDepth", 64), stored);
        assertEquals("Discovery sessions did not use CHAP.\n", Console.run(clear).out);
    }
}
