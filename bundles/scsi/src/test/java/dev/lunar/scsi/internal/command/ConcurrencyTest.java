package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.TaskAttribute;
import dev.lunar.spi.scsi.TaskManagementFunction;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Backend completions on several threads racing with new commands and aborts: every task must end
 * exactly once (TestPort fails on a second ending), nothing may leak, written data must be whole.
 */
class ConcurrencyTest {

    /** 40-block reads and 24-block writes on a backend of 8 blocks per I/O: split transfers. */
    @Test
    void mixedLoadWithAbortsEndsEveryTaskOnceAndLeaksNothing() throws Exception {
        mixedLoad(40, 24);
    }

    /**
     * The same with transfers that fit one backend I/O: the command is its own Data-Out receiver
     * and backend completion, and its port calls race pool-thread completions and aborts.
     */
    @Test
    void singlePieceMixedLoadWithAbortsEndsEveryTaskOnceAndLeaksNothing() throws Exception {
        mixedLoad(8, 4);
    }

    private static void mixedLoad(int readBlocks, int writeBlocks) throws Exception {
        long live = BufferLeakDetector.live();
        ScsiHarness h = new ScsiHarness(dev.lunar.scsi.internal.MemoryBlockDevice.geometry(4096, 8));
        ExecutorService backend = Executors.newFixedThreadPool(3);
        h.device.completeOn(backend);
        List<TestPort> ports = new ArrayList<>();
        AtomicLong tags = new AtomicLong(1000);
        List<CountDownLatch> tmfs = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                int lba = (i * 37) % 4000;
                TaskAttribute attr = i % 17 == 0 ? TaskAttribute.ORDERED
                        : i % 23 == 0 ? TaskAttribute.HEAD_OF_QUEUE : TaskAttribute.SIMPLE;
                long tag = tags.getAndIncrement();
                TestPort p;
                if (i % 2 == 0) {
                    p = new TestPort(0, cdb(0x28, 0, 0, 0, lba >>> 8, lba, 0, 0, readBlocks, 0), tag, attr,
                            readBlocks * 512, null);
                } else {
                    byte[] data = new byte[writeBlocks * 512];
                    java.util.Arrays.fill(data, (byte) i);
                    p = new TestPort(0, cdb(0x2a, 0, 0, 0, lba >>> 8, lba, 0, 0, writeBlocks, 0), tag, attr, 0, data);
                }
                ports.add(p);
                h.nexus.execute(p);
                if (i % 11 == 0) {
                    CountDownLatch done = new CountDownLatch(1);
                    tmfs.add(done);
                    h.nexus.manage(new TmfRequest(TaskManagementFunction.ABORT_TASK, 0, tag),
                            (TmfResponse r) -> done.countDown());
                }
            }
            for (CountDownLatch l : tmfs) {
                assertTrue(l.await(10, TimeUnit.SECONDS), "TMF answered");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (TestPort p : ports) {
                while (!p.done() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertTrue(p.done(), "task ended");
            }
        } finally {
            backend.shutdown();
            backend.awaitTermination(10, TimeUnit.SECONDS);
        }
        int aborted = 0;
        int good = 0;
        for (TestPort p : ports) {
            if (p.wasAborted()) {
                aborted++;
            } else if (p.status() == ScsiStatus.GOOD) {
                good++;
            } else {
                // The harness LU queues 64 tasks; beyond that TASK SET FULL is the right answer.
                assertEquals(ScsiStatus.TASK_SET_FULL, p.status(), p.senseString());
            }
        }
        assertTrue(good >= 64, "at least a queue's worth succeeded: " + good);
        assertTrue(aborted <= tmfs.size());
        assertEquals(0, h.lu.taskSet().size(), "task set drained");
        assertEquals(live, BufferLeakDetector.live(), "no buffer leaked");
    }
}
