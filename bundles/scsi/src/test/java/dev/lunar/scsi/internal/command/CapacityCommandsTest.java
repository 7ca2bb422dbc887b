package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.spi.backend.Geometry;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class CapacityCommandsTest {

    @Test
    void readCapacity10() {
        ScsiHarness h = new ScsiHarness();
        TestPort p = h.run(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(1023, b.getInt(0));
        assertEquals(512, b.getInt(4));
    }

    @Test
    void readCapacity10WithLbaButNoPmiIsInvalid() {
        ScsiHarness h = new ScsiHarness();
        h.run(0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0).assertInvalidField(2, -1);
        h.run(0x25, 0, 0, 0, 0, 1, 0, 0, 1, 0).assertGood();
    }

    @Test
    void readCapacity16ReportsExponentAndProvisioning() {
        Geometry g = new Geometry(4096, 1000, 3, 8, 0, 1, 0, 1024, true, false, false, 1);
        ScsiHarness h = new ScsiHarness(g);
        TestPort p = h.run(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(999, b.getLong(0));
        assertEquals(4096, b.getInt(8));
        assertEquals(3, b.get(13) & 0x0f, "logical blocks per physical block exponent");
        assertEquals(0x40, b.get(14) & 0x40, "LBPRZ");
        assertEquals(h.core.table().supports(0x42) ? 0x80 : 0, b.get(14) & 0x80, "LBPME only with UNMAP");
    }

    @Test
    void readCapacity16HonoursAllocationLength() {
        ScsiHarness h = new ScsiHarness();
        TestPort p = h.run(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0);
        p.assertGood();
        assertEquals(12, p.dataIn().length);
    }
}
