package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetCommandsTest {

    private static final String IQN = "iqn.2026-11.dev.lunar:db";

    private final FakeConfigurationService configs = new FakeConfigurationService();
    private final FakeTargetService targets = new FakeTargetService();

    @Test
    void createWritesTheKeysGiven() throws Exception {
        TargetCreateCommand create = new TargetCreateCommand();
        create.configs = configs;
        create.name = "db";
        create.iqn = IQN;
        create.alias = "database";

        Console console = Console.run(create);

        assertEquals(Map.of("iqn", IQN, "alias", "database", "auth", "none"), configs.properties(ObjectKind.TARGET, "db"));
        assertEquals("Target db (" + IQN + ") created.\n", console.out);
    }

    @Test
    void createWithChapNeedsAUserAndChecksTheSecret() throws Exception {
        TargetCreateCommand create = new TargetCreateCommand();
        create.configs = configs;
        create.name = "db";
        create.iqn = IQN;
        create.auth = "chap";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Console.run(create));
        assertTrue(e.getMessage().startsWith("--auth chap needs --chap-user"), e.getMessage());
        assertNull(configs.properties(ObjectKind.TARGET, "db"));

        create.chapUser = "alice";
        create.chapSecret = "short";
        Console console = Console.run(create);

        assertEquals("chap", configs.properties(ObjectKind.TARGET, "db").get(ConfigPids.TARGET_AUTH));
        assertEquals("short", configs.properties(ObjectKind.TARGET, "db").get(ConfigPids.CHAP_SECRET));
        assertTrue(console.err.contains("shorter than 12 bytes"), console.err);
        assertFalse(console.out.contains("short"), "the secret must never be printed: " + console.out);
    }

    @Test
    void createRefusesAnUnknownAuthMethod() {
        TargetCreateCommand create = new TargetCreateCommand();
        create.configs = configs;
        create.name = "db";
        create.iqn = IQN;
        create.auth = "kerberos";

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Console.run(create));
        assertEquals("--auth must be none or chap, not 'kerberos'.", e.getMessage());
    }

    @Test
    void withoutTheConfigurationServiceCommandsSaySo() {
        TargetListCommand list = new TargetListCommand();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Console.run(list));
        assertEquals("Lunar's configuration service (dev.lunar.api.ConfigurationService) is not running;"
                + " lunar:status shows which Lunar bundles are active.", e.getMessage());
    }

    @Test
    void deleteFindsTheTargetByIqnAndMentionsWhatStays() throws Exception {
        configs.with(ObjectKind.TARGET, "db", Map.of("iqn", IQN))
                .with(ObjectKind.LUN, "db-0", Map.of("target", IQN, "lun", "0", "backend", "ramdisk"));
        TargetDeleteCommand delete = new TargetDeleteCommand();
        delete.configs = configs;
        delete.target = IQN;
        delete.force = true;

        Console console = Console.run(delete);

        assertEquals(List.of("target:db:force"), configs.deletes);
        assertTrue(console.out.contains("Its 1 LUN(s) and 0 ACL(s) stay configured"), console.out);
    }

    @Test
    void anUnknownTargetIsASentenceNamingTheListCommand() {
        TargetInfoCommand info = new TargetInfoCommand();
        info.configs = configs;
        info.target = "nope";

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Console.run(info));
        assertEquals("There is no target named or with the IQN 'nope'; lunar:target-list shows the configured targets.",
                e.getMessage());
    }

    @Test
    void listJoinsConfigurationWithWhatRuns() throws Exception {
        configs.with(ObjectKind.TARGET, "db", Map.of("iqn", IQN, "auth", "chap", "chapUser", "a", "chapSecret", "s"))
                .with(ObjectKind.TARGET, "broken", Map.of("iqn", "iqn.2026-11.dev.lunar:broken"))
                .with(ObjectKind.ACL, "host1", Map.of("target", IQN, "initiator", "iqn.i"));
        targets.targets.add(new TargetInfo("db", IQN, "", "chap", 2));
        TargetListCommand list = new TargetListCommand();
        list.configs = configs;
        list.targets = targets;
        list.noFormat = true;

        String cells = Console.run(list).cells();

        assertTrue(cells.contains("db|" + IQN + "||chap|0|1|2|active"), cells);
        assertTrue(cells.contains("broken|iqn.2026-11.dev.lunar:broken||none|0|0||not running"), cells);
    }

    @Test
    void infoShowsEverythingButSecrets() throws Exception {
        configs.with(ObjectKind.TARGET, "db", Map.of("iqn", IQN, "auth", "chap", "chapUser", "alice",
                        "chapSecret", "alice-secret-123"))
                .with(ObjectKind.PORTAL, "lan", Map.of("address", "10.0.0.1"))
                .with(ObjectKind.LUN, "db-0", Map.of("target", IQN, "lun", "0", "backend", "ramdisk", "size", "1G"))
                .with(ObjectKind.ACL, "host1", Map.of("target", IQN, "initiator", "iqn.i", "luns", "0",
                        "chapUser", "h", "chapSecret", "host-secret-123"));
        targets.portals.add(new PortalInfo("lan", "10.0.0.1", 3260, "tcp", "LISTENING", ""));
        targets.sessions.add(new SessionInfo(9, "iqn.i", "400001370000", IQN, 1, "tcp", "10.0.0.2:5000", Map.of()));
        targets.sessions.add(new SessionInfo(10, "iqn.j", "400001370001", "iqn.other", 1, "tcp", "10.0.0.3:5000", Map.of()));
        TargetInfoCommand info = new TargetInfoCommand();
        info.configs = configs;
        info.targets = targets;
        info.target = "db";
        info.noFormat = true;

        String cells = Console.run(info).cells();

        assertTrue(cells.contains("chapUser|alice"), cells);
        assertTrue(cells.contains("chapSecret|********"), cells);
        assertFalse(cells.contains("secret-123"), cells);
        assertTrue(cells.contains("lan|10.0.0.1|3260|tcp|1|LISTENING"), cells);
        assertTrue(cells.contains("db-0|" + IQN + "|0|ramdisk|1G||unknown"), cells);
        assertTrue(cells.contains("host1|" + IQN + "|iqn.i|0|read-write|h"), cells);
        assertTrue(cells.contains("9|iqn.i|400001370000|" + IQN), cells);
        assertFalse(cells.contains("iqn.j"), "another target's session: " + cells);
    }

    @Test
    void portalAddWritesTheAddressAndWarnsBeyondLoopback() throws Exception {
        PortalAddCommand add = new PortalAddCommand();
        add.configs = configs;
        add.name = "lan";
        add.address = "0.0.0.0";
        add.port = 3261;

        Console console = Console.run(add);

        assertEquals(Map.of("address", "0.0.0.0", "port", "3261"), configs.properties(ObjectKind.PORTAL, "lan"));
        assertTrue(console.out.contains("targets without CHAP refuse logins"), console.out);

        add.name = "bad";
        add.port = 70000;
        assertEquals("--port must be from 0 to 65535, not 70000.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(add)).getMessage());
        add.port = null;
        add.tpgt = 0;
        assertEquals("--tpgt must be from 1 to 65535, not 0.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(add)).getMessage());
        assertNull(configs.properties(ObjectKind.PORTAL, "bad"));
    }
}
