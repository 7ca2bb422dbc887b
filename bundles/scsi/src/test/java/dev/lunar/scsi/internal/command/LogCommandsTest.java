package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.spi.backend.Geometry;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LogCommandsTest {

    private final ScsiHarness h = new ScsiHarness();

    private TestPort logSense(int byte1, int pcPage, int subpage, int pointer, int alloc) {
        return h.run(0x4d, byte1, pcPage, subpage, 0, pointer >>> 8, pointer, alloc >>> 8, alloc, 0);
    }

    @Test
    void supportedPages() {
        TestPort p = logSense(0, 0x00, 0, 0, 255);
        p.assertGood();
        assertArrayEquals(new byte[] {(byte) 0x80, 0, 0, 4, 0x00, 0x0c, 0x0d, 0x2f}, p.dataIn());
    }

    @Test
    void supportedPagesAndSubpages() {
        TestPort p = logSense(0, 0x00, 0xff, 0, 255);
        p.assertGood();
        assertArrayEquals(new byte[] {(byte) 0xc0, (byte) 0xff, 0, 10, 0, 0, 0, (byte) 0xff, 0x0c, 0, 0x0d, 0,
                0x2f, 0}, p.dataIn());
    }

    @Test
    void provisioningPageCountsMappedBlocks() {
        TestPort p = logSense(0, 0x40 | 0x0c, 0, 0, 255);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(0x0c, b.get(0) & 0x3f);
        assertEquals(24, b.getShort(2));
        assertEquals(0x0001, b.getShort(4));
        assertEquals(8, b.get(7));
        assertEquals(0, b.getInt(8), "the memory device maps everything");
        assertEquals(0x01, b.get(12), "scope: dedicated to the LU");
        assertEquals(0x0002, b.getShort(16));
        assertEquals(1024, b.getInt(20));

        TestPort threshold = logSense(0, 0x0c, 0, 0, 255);
        assertEquals(0, ByteBuffer.wrap(threshold.dataIn()).getInt(20), "no thresholds");

        TestPort pointer = logSense(0, 0x40 | 0x0c, 0, 2, 255);
        assertEquals(12, ByteBuffer.wrap(pointer.dataIn()).getShort(2), "parameters from the pointer on");
        logSense(0, 0x40 | 0x0c, 0, 3, 255).assertInvalidField(5, -1);
    }

    @Test
    void provisioningPageNeedsManagedProvisioning() {
        Geometry thick = new Geometry(512, 64, 0, 16, 0, 0, 0, 0, false, false, false, 1);
        ScsiHarness t = new ScsiHarness(thick);
        TestPort p = t.run(0x4d, 0, 0, 0, 0, 0, 0, 0, 255, 0);
        assertArrayEquals(new byte[] {(byte) 0x80, 0, 0, 3, 0x00, 0x0d, 0x2f}, p.dataIn());
        t.run(0x4d, 0, 0x4c, 0, 0, 0, 0, 0, 255, 0).assertInvalidField(2, 5);
    }

    @Test
    void temperatureAndInformationalExceptions() {
        TestPort t = logSense(0, 0x40 | 0x0d, 0, 0, 255);
        t.assertGood();
        byte[] d = t.dataIn();
        assertEquals(12, d[3]);
        assertEquals((byte) 0xff, d[9], "temperature not available");
        TestPort ie = logSense(0, 0x40 | 0x2f, 0, 0, 255);
        ie.assertGood();
        assertArrayEquals(new byte[] {(byte) 0xaf, 0, 0, 7, 0, 0, 0x03, 3, 0, 0, (byte) 0xff}, ie.dataIn());
    }

    @Test
    void invalidRequests() {
        logSense(0x01, 0x40, 0, 0, 255).assertInvalidField(1, 0);
        logSense(0x02, 0x40, 0, 0, 255).assertInvalidField(1, 1);
        logSense(0, 0x40 | 0x15, 0, 0, 255).assertInvalidField(2, 5);
        logSense(0, 0x40 | 0x0d, 0x01, 0, 255).assertInvalidField(3, -1);
        logSense(0, 0x00, 0, 1, 255).assertInvalidField(5, -1);
        TestPort cut = logSense(0, 0x00, 0, 0, 5);
        assertEquals(5, cut.dataIn().length, "allocation length");
        assertEquals(4, cut.dataIn()[3], "PAGE LENGTH is not truncated");
    }

    @Test
    void logSelect() {
        h.run(0x4c, 0x02, 0x40, 0, 0, 0, 0, 0, 0, 0).assertGood();
        h.run(0x4c, 0x01, 0x40, 0, 0, 0, 0, 0, 0, 0).assertInvalidField(1, 0);
        byte[] params = new byte[8];
        Arrays.fill(params, (byte) 1);
        h.runOut(params, 0x4c, 0x02, 0x40, 0, 0, 0, 0, 0, 8, 0).assertInvalidField(1, 1);
        h.runOut(params, 0x4c, 0x00, 0x40, 0, 0, 0, 0, 0, 8, 0).assertCheckCondition(0x5, 0x26, 0x00);
    }
}
