package dev.lunar.spi.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendOptionsTest {

    private static long size(String value) throws BackendException {
        return new BackendOptions("lun0", Map.of("size", value)).size("size", -1);
    }

    @Test
    void sizesAcceptBinaryUnitsInAnyCase() throws Exception {
        assertEquals(1073741824L, size("1073741824"));
        assertEquals(512L << 20, size("512M"));
        assertEquals(1L << 30, size("1G"));
        assertEquals(1L << 30, size("1GiB"));
        assertEquals(1L << 30, size("1gib"));
        assertEquals(1L << 30, size("1GB"));
        assertEquals(100L << 20, size("100MiB"));
        assertEquals(2L << 40, size("2T"));
        assertEquals(4096, size("4k"));
        assertEquals(4096, size(" 4 KiB "));
        assertEquals(1L << 50, size("1P"));
        assertEquals(512, size("512B"));
    }

    @Test
    void badSizesNameTheKeyAndGiveAnExample() {
        for (String bad : new String[] {"", "x", "1.5G", "-1", "1Q", "16E", "99999999999999999999", "1 G B"}) {
            if (bad.isEmpty()) {
                continue; // an empty value counts as "not set"
            }
            BackendException e = assertThrows(BackendException.class, () -> size(bad), bad);
            assertTrue(e.getMessage().contains("size=" + bad), e.getMessage());
            assertTrue(e.getMessage().contains("512M"), e.getMessage());
            assertTrue(e.getMessage().contains("lun0"), e.getMessage());
        }
    }

    @Test
    void keysAreCaseInsensitive() throws Exception {
        BackendOptions o = new BackendOptions("l", Map.of("BLOCKSIZE", "4096", "readonly", "yes"));
        assertEquals(4096, o.blockSize());
        assertTrue(o.bool("readOnly", false));
        assertFalse(o.bool("writeCache", false));
    }

    @Test
    void badBooleansAndBlockSizesAreRefused() {
        BackendOptions o = new BackendOptions("l", Map.of("readOnly", "maybe", "blockSize", "1000"));
        BackendException b = assertThrows(BackendException.class, () -> o.bool("readOnly", false));
        assertTrue(b.getMessage().contains("readOnly=maybe") && b.getMessage().contains("true or false"));
        BackendException s = assertThrows(BackendException.class, o::blockSize);
        assertTrue(s.getMessage().contains("blockSize=1000"), s.getMessage());
        BackendOptions big = new BackendOptions("l", Map.of("blockSize", "8192"));
        assertThrows(BackendException.class, big::blockSize);
    }
}
