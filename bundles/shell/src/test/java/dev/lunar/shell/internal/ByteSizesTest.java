package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteSizesTest {

    @Test
    void readsBytesAndBinaryUnits() {
        assertEquals(512, ByteSizes.parse("--size", "512"));
        assertEquals(4096, ByteSizes.parse("--size", "4k"));
        assertEquals(1L << 30, ByteSizes.parse("--size", "1GiB"));
        assertEquals(10L << 30, ByteSizes.parse("--size", "10G"));
        assertEquals(2L << 40, ByteSizes.parse("--size", "2T"));
    }

    @Test
    void refusesWithASentenceShowingGoodSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ByteSizes.parse("--size", "12 parsecs"));
        assertEquals("--size '12 parsecs' is not a size; write a byte count such as 512, 4k, 1GiB or 10G"
                + " (binary units: 1k = 1024).", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("--size", "-1G"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("--size", "99999999E"));
        assertEquals("Size must be more than 0 bytes, not '0'.",
                assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("Size", "0")).getMessage());
    }

    @Test
    void printsTheLargestUnitThatKeepsOneOrMore() {
        assertEquals("0 B", ByteSizes.format(0));
        assertEquals("512 B", ByteSizes.format(512));
        assertEquals("1 KiB", ByteSizes.format(1024));
        assertEquals("1.5 KiB", ByteSizes.format(1536));
        assertEquals("1 GiB", ByteSizes.format(1L << 30));
        assertEquals("1023 MiB", ByteSizes.format(1023L << 20));
        assertEquals("8 EiB", ByteSizes.format(Long.MAX_VALUE));
    }
}
