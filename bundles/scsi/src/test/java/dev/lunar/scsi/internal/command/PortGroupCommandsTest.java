package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class PortGroupCommandsTest {

    private final ScsiHarness h = new ScsiHarness();

    @Test
    void oneActiveOptimizedGroupWithThisPort() {
        TestPort p = h.run(0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(p.dataIn().length - 4, b.getInt(0));
        assertEquals(0, b.get(4) & 0x0f, "active/optimized");
        assertEquals(1, b.get(5) & 0x01, "AO_SUP");
        assertEquals(1, b.getShort(6));
        assertEquals(1, b.get(11));
        assertEquals(1, b.getShort(14), "relative target port 1");
    }

    @Test
    void extendedHeader() {
        TestPort p = h.run(0xa3, 0x2a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0);
        p.assertGood();
        assertEquals(0x10, p.dataIn()[4] & 0x70);
    }
}
