package dev.lunar.benchmarks;

import dev.lunar.backend.ramdisk.internal.RamDiskBackend;
import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.scsi.internal.target.ScsiTarget;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.DataReceiver;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The SCSI dispatch path for one 4 KiB READ(10) and one 4 KiB WRITE(10): {@link ScsiNexus#execute}
 * through the scsi core's dispatcher (LUN lookup, command table, task set admission, unit attention
 * and gate checks, the SBC handler) to a RAM disk opened by the real {@link RamDiskBackend}, and
 * back to the port's {@code sendData}/{@code complete}. No iSCSI, no transport: the port is
 * {@link ReusableTask}, which allocates nothing per command, so whatever {@code gc.alloc.rate.norm}
 * shows is the core's and the RAM disk's own per-I/O garbage.
 *
 * <p>The RAM disk completes inline (run-to-completion on the caller's thread), so each operation
 * is one whole command; the benchmark checks that and fails otherwise.
 *
 * <p>What a command should still allocate (issue 7): the {@code Command} object itself, plus the
 * RAM disk's one read buffer for a read, or the command's LBA range lock request for a write.
 * Anything above that (a closure, a queue, an iterator, a split transfer for a single piece) is a
 * regression on the hot path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ScsiDispatchBenchmark {

    private static final String TARGET = "iqn.2026-01.dev.lunar:bench";
    private static final String INITIATOR_PORT = "iqn.2026-01.dev.lunar:init,i,0x000000000001";
    private static final String TARGET_PORT = TARGET + ",t,0x1";
    private static final int BLOCK = 512;
    private static final int IO_BYTES = 4096;
    /** 64 MiB: 16384 4 KiB slots; LBAs walk through them so the pages stay allocated and warm. */
    private static final long DISK_BYTES = 64L << 20;

    private DeviceServerCore core;
    private BlockDevice device;
    private ScsiNexus nexus;
    private ReusableTask read;
    private ReusableTask write;
    private DataBuffer writePayload;
    private long slot;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        core = new DeviceServerCore(CommandTable.standard());
        device = new RamDiskBackend().open("bench", Map.of("size", Long.toString(DISK_BYTES), "blockSize",
                Integer.toString(BLOCK)));
        LogicalUnit lu = new LogicalUnit("bench", TARGET, 0, "ramdisk", 128, null);
        lu.attach(device);
        core.addLogicalUnit(lu);
        nexus = core.openNexus(TARGET, INITIATOR_PORT, TARGET_PORT, 1, false);
        writePayload = DataBuffers.allocateDirect(IO_BYTES);
        ByteBuffer fill = writePayload.nioBuffers(0, IO_BYTES)[0];
        for (int i = 0; i < IO_BYTES; i++) {
            fill.put(i, (byte) i);
        }
        read = new ReusableTask(0x28, IO_BYTES, 0, null);
        write = new ReusableTask(0x2a, 0, IO_BYTES, writePayload);
        // The power-on unit attention (SAM-5 §5.14) answers the first command; consume it.
        ReusableTask tur = new ReusableTask(0x00, 0, 0, null);
        for (int i = 0; i < 10 && !tur.runOnce(nexus, 0, 0); i++) {
            // retry until TEST UNIT READY reports GOOD
        }
        // Touch every slot once so reads hit allocated pages, not the sparse zero path.
        for (long s = 0; s < DISK_BYTES / IO_BYTES; s++) {
            write.mustRun(nexus, s * (IO_BYTES / BLOCK));
        }
        read.mustRun(nexus, 0);
        if (read.dataInBytes != IO_BYTES) {
            throw new IllegalStateException("READ(10) returned " + read.dataInBytes + " bytes");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nexus.close();
        writePayload.release();
        device.close();
    }

    private long nextLba() {
        long s = slot++;
        return (s & (DISK_BYTES / IO_BYTES - 1)) * (IO_BYTES / BLOCK);
    }

    @Benchmark
    public int read4k() {
        read.mustRun(nexus, nextLba());
        return read.dataInBytes;
    }

    @Benchmark
    public int write4k() {
        write.mustRun(nexus, nextLba());
        return write.dataOutRequests;
    }

    /**
     * A port task reused for every command: the CDB is rewritten in place, Data-In is released on
     * arrival (as a zero-copy transport would after the send), Data-Out is one retained buffer.
     * Not thread-safe; the benchmark thread is the only caller and the RAM disk completes inline.
     */
    static final class ReusableTask implements ScsiTask {
        private final byte[] cdbBytes = new byte[10];
        private final ByteBuffer cdb = ByteBuffer.wrap(cdbBytes).asReadOnlyBuffer();
        private final int expectedIn;
        private final int expectedOut;
        private final DataBuffer payload;
        private long tag;
        int dataInBytes;
        int dataOutRequests;
        ScsiStatus status;
        boolean ended;

        ReusableTask(int opcode, int expectedIn, int expectedOut, DataBuffer payload) {
            this.cdbBytes[0] = (byte) opcode;
            this.expectedIn = expectedIn;
            this.expectedOut = expectedOut;
            this.payload = payload;
        }

        /** Runs the command at {@code lba}; true when it completed GOOD. */
        boolean runOnce(ScsiNexus nexus, long lba, int blocks) {
            if (cdbBytes[0] != 0) {
                cdbBytes[2] = (byte) (lba >>> 24);
                cdbBytes[3] = (byte) (lba >>> 16);
                cdbBytes[4] = (byte) (lba >>> 8);
                cdbBytes[5] = (byte) lba;
                cdbBytes[7] = (byte) (blocks >>> 8);
                cdbBytes[8] = (byte) blocks;
            }
            cdb.clear();
            tag++;
            dataInBytes = 0;
            dataOutRequests = 0;
            status = null;
            ended = false;
            nexus.execute(this);
            if (!ended) {
                throw new IllegalStateException("command did not complete inline");
            }
            return status == ScsiStatus.GOOD;
        }

        void mustRun(ScsiNexus nexus, long lba) {
            if (!runOnce(nexus, lba, IO_BYTES / BLOCK)) {
                throw new IllegalStateException("opcode " + cdbBytes[0] + " ended with " + status);
            }
        }

        @Override
        public long lun() {
            return ScsiTarget.encodeLun(0);
        }

        @Override
        public ByteBuffer cdb() {
            return cdb;
        }

        @Override
        public long tag() {
            return tag;
        }

        @Override
        public TaskAttribute attribute() {
            return TaskAttribute.SIMPLE;
        }

        @Override
        public int expectedDataInLength() {
            return expectedIn;
        }

        @Override
        public int expectedDataOutLength() {
            return expectedOut;
        }

        @Override
        public void transferLength(int bytes) {
            // the port would compute residuals from it; nothing to do here
        }

        @Override
        public void receiveData(int offset, int length, DataReceiver receiver) {
            dataOutRequests++;
            if (offset != 0 || length != payload.length()) {
                receiver.received(payload.retainedSlice(offset, length));
                return;
            }
            payload.retain();
            receiver.received(payload);
        }

        @Override
        public void sendData(int offset, DataBuffer data) {
            dataInBytes += data.length();
            data.release();
        }

        @Override
        public void complete(ScsiStatus status, ByteBuffer sense) {
            this.status = status;
            ended = true;
        }

        @Override
        public void aborted() {
            ended = true;
        }
    }
}
