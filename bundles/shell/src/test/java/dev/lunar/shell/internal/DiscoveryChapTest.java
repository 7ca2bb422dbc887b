package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscoveryChapTest {

    @TempDir
    Path etc;

    private Path fileOf(Object reference) {
        String r = reference.toString();
        return etc.resolve(r.substring("$[secret:".length(), r.length() - 1));
    }

    @Test
    void theSecretGoesToAnOwnerOnlyFileAndTheConfigurationNamesIt() throws Exception {
        Map<String, Object> stored = new TreeMap<>();
        DiscoveryChap chap = new DiscoveryChap(FakeConfigAdmin.of(stored), etc);

        chap.set("disc", "discovery-secret-1");
        Object first = stored.get(DiscoveryChap.SECRET);
        assertTrue(first.toString().startsWith("$[secret:lunar-secrets/dev.lunar.iscsi-discoveryChapSecret-"),
                first.toString());
        assertEquals("discovery-secret-1", Files.readString(fileOf(first)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fileOf(first))));

        chap.set("disc", "discovery-secret-2");
        Object second = stored.get(DiscoveryChap.SECRET);
        assertFalse(first.equals(second), "a new reference, so the engine sees a change");
        assertFalse(Files.exists(fileOf(first)), "the old file is gone");
        assertEquals("discovery-secret-2", Files.readString(fileOf(second)));

        assertTrue(chap.clear());
        assertFalse(Files.exists(fileOf(second)));
        assertFalse(stored.containsKey(DiscoveryChap.SECRET));
    }

    @Test
    void aSecretWithOuterWhiteSpaceStaysInline() throws Exception {
        Map<String, Object> stored = new TreeMap<>();
        new DiscoveryChap(FakeConfigAdmin.of(stored), etc).set("disc", " padded-secret ");
        assertEquals(" padded-secret ", stored.get(DiscoveryChap.SECRET),
                "Config Admin's plugin trims file content; this secret would arrive changed");
    }
}
