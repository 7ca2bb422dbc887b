package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.LunInfo;
import dev.lunar.api.ObjectKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LunCommandsTest {

    private static final String IQN = "iqn.2026-11.dev.lunar:db";

    private final FakeConfigurationService configs = new FakeConfigurationService()
            .with(ObjectKind.TARGET, "db", Map.of("iqn", IQN));
    private final FakeLunService luns = new FakeLunService();

    private LunCreateCommand create(String name) {
        LunCreateCommand create = new LunCreateCommand();
        create.configs = configs;
        create.name = name;
        create.target = "db";
        create.lun = 1;
        create.backend = "file";
        return create;
    }

    @Test
    void createTranslatesOptionsToBackendKeys() throws Exception {
        LunCreateCommand create = create("db-1");
        create.size = "10G";
        create.path = "/srv/lunar/db-1.img";
        create.blockSize = 4096;
        create.writeCache = "off";
        create.readOnly = true;
        create.thin = "true";
        create.options = List.of("direct=true", "ioThreads = 4");

        Console console = Console.run(create);

        assertEquals(Map.ofEntries(Map.entry("target", IQN), Map.entry("lun", "1"), Map.entry("backend", "file"),
                Map.entry("size", "10G"), Map.entry("path", "/srv/lunar/db-1.img"), Map.entry("blockSize", "4096"),
                Map.entry("writeCache", "false"), Map.entry("readOnly", "true"), Map.entry("unmap", "true"),
                Map.entry("direct", "true"), Map.entry("ioThreads", "4")), configs.properties(ObjectKind.LUN, "db-1"));
        assertEquals("LUN db-1 created as LUN 1 of " + IQN + " (file, 10 GiB).\n", console.out);
    }

    @Test
    void createRefusesWhatItCanParseWrongBeforeWritingAnything() {
        LunCreateCommand create = create("db-1");
        create.size = "ten gigs";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Console.run(create)).getMessage()
                .startsWith("--size 'ten gigs' is not a size"));
        create.size = null;
        create.blockSize = 1000;
        assertEquals("--block-size must be 512, 1024, 2048 or 4096, not 1000.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(create)).getMessage());
        create.blockSize = null;
        create.thin = "maybe";
        assertEquals("--thin must be true or false, not 'maybe'.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(create)).getMessage());
        create.thin = null;
        create.options = List.of("lun=7");
        assertEquals("Set 'lun' with --lun, not with -o.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(create)).getMessage());
        create.options = List.of("=x");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Console.run(create)).getMessage()
                .startsWith("-o takes key=value"));
        create.options = null;
        create.lun = 16384;
        assertEquals("--lun must be from 0 to 16383, not 16384.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(create)).getMessage());
        create.lun = 0;
        create.target = "iqn.nowhere";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Console.run(create)).getMessage()
                .startsWith("There is no target named or with the IQN 'iqn.nowhere'"));

        assertNull(configs.properties(ObjectKind.LUN, "db-1"));
    }

    @Test
    void resizeMapAndUnmapChangeOnlyTheirKeys() throws Exception {
        configs.with(ObjectKind.TARGET, "web", Map.of("iqn", "iqn.2026-11.dev.lunar:web"))
                .with(ObjectKind.LUN, "db-0", Map.of("target", IQN, "lun", "0", "backend", "ramdisk", "size", "1G"));
        luns.luns.add(new LunInfo("db-0", IQN, 0, "ramdisk", 1L << 30, 512, "READY", ""));

        LunResizeCommand resize = new LunResizeCommand();
        resize.configs = configs;
        resize.luns = luns;
        resize.name = "db-0";
        resize.size = "2GiB";
        assertEquals("LUN db-0 resized to 2 GiB (was 1 GiB).\n", Console.run(resize).out);
        assertEquals("2GiB", configs.properties(ObjectKind.LUN, "db-0").get("size"));
        resize.size = "huge";
        assertThrows(IllegalArgumentException.class, () -> Console.run(resize));

        LunUnmapCommand unmap = new LunUnmapCommand();
        unmap.configs = configs;
        unmap.name = "db-0";
        Console.run(unmap);
        assertEquals(Map.of("lun", "0", "backend", "ramdisk", "size", "2GiB"), configs.properties(ObjectKind.LUN, "db-0"));
        assertEquals("LUN db-0 is not mapped into any target.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(unmap)).getMessage());

        LunMapCommand map = new LunMapCommand();
        map.configs = configs;
        map.name = "db-0";
        map.target = "web";
        map.lun = 3;
        Console.run(map);
        assertEquals("iqn.2026-11.dev.lunar:web", configs.properties(ObjectKind.LUN, "db-0").get("target"));
        assertEquals("3", configs.properties(ObjectKind.LUN, "db-0").get("lun"));
    }

    @Test
    void listShowsRunningSizeAndUnmappedLuns() throws Exception {
        configs.with(ObjectKind.LUN, "db-0", Map.of("target", IQN, "lun", "0", "backend", "ramdisk", "size", "1G"))
                .with(ObjectKind.LUN, "spare", Map.of("lun", "0", "backend", "file", "path", "/x"));
        luns.luns.add(new LunInfo("db-0", IQN, 0, "ramdisk", 3L << 29, 4096, "READY", ""));
        LunListCommand list = new LunListCommand();
        list.configs = configs;
        list.luns = luns;
        list.noFormat = true;

        String cells = Console.run(list).cells();

        assertTrue(cells.contains("db-0|" + IQN + "|0|ramdisk|1.5 GiB|4096|READY"), cells);
        assertTrue(cells.contains("spare|(unmapped)|0|file|||not running"), cells);
    }

    @Test
    void deleteOfAnUnknownLunNamesTheListCommand() {
        LunDeleteCommand delete = new LunDeleteCommand();
        delete.configs = configs;
        delete.name = "ghost";
        assertEquals("There is no LUN named 'ghost'; lunar:lun-list shows them.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(delete)).getMessage());
    }

    @Test
    void infoSaysWhenStatisticsAreNotCountedYet() throws Exception {
        configs.with(ObjectKind.LUN, "db-0", Map.of("target", IQN, "lun", "0", "backend", "ramdisk"));
        LunInfoCommand info = new LunInfoCommand();
        info.configs = configs;
        info.luns = luns;
        info.name = "db-0";

        String out = Console.run(info).out;

        assertTrue(out.contains("LUN I/O counting is not available in this version."), out);
    }

    @Test
    void aclAddNormalisesTheLunList() throws Exception {
        AclAddCommand add = new AclAddCommand();
        add.configs = configs;
        add.name = "host1";
        add.target = IQN;
        add.initiator = "iqn.1994-05.com.redhat:host1";
        add.luns = "3, 0,3";
        add.readOnly = true;

        Console.run(add);

        assertEquals(Map.of("target", IQN, "initiator", "iqn.1994-05.com.redhat:host1", "luns", "0,3",
                "readOnly", "true"), configs.properties(ObjectKind.ACL, "host1"));
        add.name = "host2";
        add.luns = "0,x";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Console.run(add)).getMessage()
                .contains("'x' is not a number"));
    }
}
