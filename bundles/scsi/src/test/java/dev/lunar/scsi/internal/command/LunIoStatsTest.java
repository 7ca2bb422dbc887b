package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.api.IoStats;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.Sense;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every command that completes on a LU is counted once in its IoStats, by kind, with errors. */
class LunIoStatsTest {

    private ScsiHarness h;
    private long liveBefore;
    private IoStats base;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        h = new ScsiHarness(); // 1024 blocks of 512, backend max 16 blocks per I/O
        base = h.lu.ioStats().snapshot();
    }

    @AfterEach
    void noLeaks() {
        assertEquals(liveBefore, BufferLeakDetector.live(), "buffers leaked");
    }

    private IoStats delta() {
        IoStats now = h.lu.ioStats().snapshot();
        return new IoStats(now.reads() - base.reads(), now.writes() - base.writes(), now.others() - base.others(),
                now.bytesRead() - base.bytesRead(), now.bytesWritten() - base.bytesWritten(),
                now.errors() - base.errors(), now.readLatency(), now.writeLatency());
    }

    @Test
    void readsAndWritesCountTheirBytesAndLatency() {
        h.runOut(new byte[3 * 512], 0x2a, 0, 0, 0, 0, 10, 0, 0, 3, 0).assertGood();
        // 40 blocks: split into three backend reads, still one command.
        h.run(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 40, 0, 0).assertGood();
        h.run(0x12, 0, 0, 0, 36, 0).assertGood();
        IoStats d = delta();
        assertEquals(1, d.writes());
        assertEquals(1, d.reads());
        assertEquals(1, d.others());
        assertEquals(3 * 512, d.bytesWritten());
        assertEquals(40 * 512, d.bytesRead());
        assertEquals(0, d.errors());
        assertEquals(base.readLatency().count() + 1, d.readLatency().count());
        assertEquals(base.writeLatency().count() + 1, d.writeLatency().count());
    }

    @Test
    void writeSameAndUnmapCountAsWritesAndVerifyAsOther() {
        // WRITE SAME(10) of 4 blocks takes one block of Data-Out.
        h.runOut(new byte[512], 0x41, 0, 0, 0, 0, 0, 0, 0, 4, 0).assertGood();
        h.run(0x2f, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertGood();
        IoStats d = delta();
        assertEquals(1, d.writes());
        assertEquals(512, d.bytesWritten());
        assertEquals(1, d.others());
    }

    @Test
    void checkConditionsAreErrorsButUnitAttentionsAreNot() {
        h.run(0x28, 0, 0, 0, 0x10, 0, 0, 0, 1, 0).assertCheckCondition(0x5, 0x21, 0x00); // beyond 1024 blocks
        h.device.failNext(Sense.UNRECOVERED_READ_ERROR);
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertCheckCondition(0x3, 0x11, 0x00);
        h.lu.unitAttentions().establish(h.nexus.name(), SenseCodes.UA_MODE_PARAMETERS_CHANGED);
        TestPort ua = h.run(0, 0, 0, 0, 0, 0);
        ua.assertCheckCondition(0x6, 0x2a, 0x01);
        IoStats d = delta();
        assertEquals(2, d.reads());
        assertEquals(1, d.others());
        assertEquals(2, d.errors());
        assertEquals(0, d.bytesRead());
    }

    @Test
    void anAbortedCommandIsAnError() {
        h.device.hold(true);
        TestPort r = h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0);
        Command c = h.lu.taskSet().select(x -> true).get(0);
        c.abort(() -> { });
        h.device.releaseHeld();
        assertEquals(true, r.wasAborted());
        IoStats d = delta();
        assertEquals(1, d.reads());
        assertEquals(1, d.errors());
    }

    @Test
    void commandsAnsweredAtAdmissionAreCountedToo() {
        h.run(0xff, 0, 0, 0, 0, 0).assertCheckCondition(0x5, 0x20, 0x00);          // no such opcode
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0x04).assertCheckCondition(0x5, 0x24, 0x00); // NACA = 1
        IoStats d = delta();
        assertEquals(1, d.others());
        assertEquals(1, d.reads());
        assertEquals(2, d.errors());
        assertEquals(0, d.bytesRead());
    }
}
