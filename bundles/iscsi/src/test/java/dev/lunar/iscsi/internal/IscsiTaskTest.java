package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.pdu.DataInPdu;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What {@link IscsiTask} promises the SCSI core beyond the wire behaviour FullFeatureTest checks. */
class IscsiTaskTest {

    private long liveBefore;
    private TestInitiator.Rig rig;
    private TestInitiator ini;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        rig = new TestInitiator.Rig();
        ini = rig.connect().loginNormal();
    }

    @AfterEach
    void noLeaks() {
        ini.conn.releaseSent();
        assertEquals(liveBefore, BufferLeakDetector.live(), () -> "leaked buffers: " + BufferLeakDetector.liveOrigins());
    }

    /**
     * The SCSI core reads the CDB several times per command; each call hands out the same
     * read-only view (no allocation), always at position 0 with the whole CDB visible, whatever an
     * earlier caller did to its position or limit.
     */
    @Test
    void cdbIsOneReadOnlyViewResetOnEveryCall() {
        rig.device.hold = true;
        ini.read(5, 2, 1024);
        ScsiTask task = rig.device.parked.peek();
        ByteBuffer first = task.cdb();
        assertTrue(first.isReadOnly());
        assertEquals(0, first.position());
        assertEquals(16, first.limit());
        assertEquals(0x28, first.get(0) & 0xff, "READ(10)");
        assertEquals(5, first.getInt(2), "LBA");
        first.position(7).limit(9);
        ByteBuffer second = task.cdb();
        assertSame(first, second, "no view per call");
        assertEquals(0, second.position());
        assertEquals(16, second.limit());
        rig.device.hold = false;
        rig.device.releaseHeld();
        ini.conn.runTasks();
        List<Pdu> out = ini.drain();
        assertTrue(DataInPdu.hasStatus(out.get(out.size() - 1).header()));
        TestInitiator.release(out);
    }
}
