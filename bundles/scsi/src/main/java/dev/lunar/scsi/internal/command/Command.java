package dev.lunar.scsi.internal.command;

import dev.lunar.api.IoStatsRecorder;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.sense.SenseEncoder;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.DataReceiver;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One command in flight: the handler's view of a {@link ScsiTask} on one logical unit, and the
 * task set's entry for it.
 *
 * <p>What a handler uses: CDB field readers ({@link #u8}, {@link #u16}, {@link #u32}, {@link #u64},
 * {@link #bit}, {@link #bits}); checks that complete the command on failure ({@link #checkRange},
 * {@link #invalidField}); data movement ({@link #sendDataIn}, {@link #receiveDataOut},
 * {@link #readToDataIn}, {@link #writeFromDataOut}); backend calls whose failure completes the
 * command with the backend's sense ({@link #read}, {@link #write}, {@link #flush}, {@link #unmap},
 * {@link #provisioning}); and completion ({@link #good}, {@link #fail}, {@link #complete}).
 *
 * <p>Completion happens exactly once. After an abort or a completion, continuations are not run
 * and buffers that arrive are released, so a handler never checks for aborts itself.
 *
 * <p>Threading: calls to the task are serialised (see {@code callingPort}), which gives the "never
 * two at once for the same task" guarantee {@link ScsiTask} asks for, even when several backend
 * completions race, without holding a lock while the port runs.
 *
 * <p>Garbage (issue 7): a READ or WRITE that fits one backend I/O allocates nothing here beyond
 * this object. The command is then itself the port's {@link DataReceiver} and the backend's
 * {@link IoCompletion} (see "single-piece transfer"), port calls made by the thread that decided
 * them go straight to the port, and the task set's finish hook lives in fields. Queues, closures
 * and {@link SplitTransfer} appear only when two threads call the port at once, a call re-enters
 * (a port that delivers Data-Out inline), or a transfer needs several backend I/Os.
 */
public final class Command implements IoCompletion<Object>, DataReceiver {

    private static final Logger LOG = LoggerFactory.getLogger(Command.class);

    /** Backend I/Os a split READ or WRITE keeps in flight at once. */
    static final int SPLIT_WINDOW = 4;

    /** What a port call decided under the monitor does next: see {@link #claimPortLocked}. */
    private static final int CALL_NOW = 0;
    private static final int QUEUED = 1;
    private static final int QUEUED_AND_DRAIN = 2;

    /** The last port call of the task, when it had to wait behind another: see {@code finalCall}. */
    private static final int NO_FINAL_CALL = 0;
    private static final int FINAL_COMPLETE = 1;
    private static final int FINAL_ABORTED = 2;
    /** Finished without telling the port (Data-Out failed): only the finish hooks are left. */
    private static final int FINAL_HOOKS_ONLY = 3;

    /** What the command waits for in its own single-piece transfer: see {@code ownIo}. */
    private static final int OWN_NONE = 0;
    private static final int OWN_DATA_OUT = 1;
    private static final int OWN_READ = 2;
    private static final int OWN_WRITE = 3;

    private final ScsiTask task;
    private final ScsiNexus nexus;
    private final LogicalUnit lu;
    private final CommandDescriptor descriptor;
    private final ByteBuffer cdb;
    private final long sequence;
    /** When the device server got the task: the start of the latency the LU's statistics count. */
    private final long arrivalNanos = System.nanoTime();
    /** How the LU's statistics count this command (IoStats: reads, writes, others). */
    private final IoStatsRecorder.Kind ioKind;
    private volatile BlockDevice device;
    private volatile Geometry geometry;

    // Guarded by "this".
    /**
     * Whether a thread is calling the task now (or draining {@code waitingCalls}). Calls are
     * decided under this object's monitor and made outside it, one at a time: the thread that
     * decides a call while nobody calls the port and nothing waits makes it at once; otherwise the
     * call waits, in decision order, for the thread calling the port to make it after its own.
     * This keeps the port's "never two calls at once" rule without holding our lock while calling
     * out (a port that holds its own lock while delivering Data-Out to us cannot deadlock
     * against us).
     */
    private boolean callingPort;
    /** Calls waiting behind the thread calling the port; created on the first wait. */
    private ArrayDeque<Runnable> waitingCalls;
    /**
     * The task's last call ({@code complete}, {@code aborted}, or none but the finish hooks) when
     * it had to wait: it comes after every call in {@code waitingCalls}, as nothing is decided
     * after it, and waits in these fields rather than as a closure in the queue.
     */
    private int finalCall;
    private ScsiStatus finalStatus;
    private ByteBuffer finalSense;
    private boolean started;
    private boolean finished;
    private boolean abortRequested;
    private int backendIoInFlight;
    /** The task set hook (runs first when the command ends): {@link #joinTaskSet}. */
    private Dispatcher taskSetDispatcher;
    private TaskSet taskSet;
    /** Other finish hooks in registration order: the first in a field, the rest in a list. */
    private Runnable firstHook;
    private List<Runnable> moreHooks;
    /** The single-piece transfer's state: what it waits for, and the WRITE's parameters. */
    private int ownIo;
    private long ownLba;
    private boolean ownFua;
    private DataBuffer ownWriteData;
    /** Data-In sent plus Data-Out taken, for the LU's byte counters. */
    private long bytesMoved;

    /**
     * @param cdb the task's {@link ScsiTask#cdb()}, read once by the dispatcher; only read here,
     *        by absolute index, so neither a duplicate nor another call to the port is needed
     */
    public Command(ScsiTask task, ByteBuffer cdb, ScsiNexus nexus, LogicalUnit lu,
            CommandDescriptor descriptor, long sequence) {
        this.task = task;
        this.nexus = nexus;
        this.lu = lu;
        this.descriptor = descriptor;
        this.cdb = cdb;
        this.sequence = sequence;
        this.ioKind = IoStatsRecorder.kindOf(opcode());
    }

    // ---------------------------------------------------------------- identity

    public ScsiTask task() {
        return task;
    }

    /** The I_T nexus that sent the command (initiator/target port names, read-only ACL). */
    public ScsiNexus nexus() {
        return nexus;
    }

    /** The logical unit, or {@code null} for a command the table lets run on an unmapped LUN. */
    public LogicalUnit lu() {
        return lu;
    }

    public CommandDescriptor descriptor() {
        return descriptor;
    }

    public long tag() {
        return task.tag();
    }

    public TaskAttribute attribute() {
        return task.attribute();
    }

    /** Arrival order within the logical unit's task set. */
    public long sequence() {
        return sequence;
    }

    /**
     * The backend device as it was when the command started; only for commands flagged
     * {@link CommandFlag#MEDIUM}, never null there. Captured so that a command already running
     * when the backend goes away finishes on the device it started with (which is closed only
     * after the task set drained), instead of finding none halfway.
     */
    public BlockDevice device() {
        BlockDevice d = device;
        return d != null ? d : lu.device();
    }

    /** The geometry of {@link #device()} when the command started; only for MEDIUM commands. */
    public Geometry geometry() {
        Geometry g = geometry;
        return g != null ? g : lu.geometry();
    }

    // ---------------------------------------------------------------- CDB fields (big-endian)

    public int opcode() {
        return u8(0);
    }

    /** Bytes the port gave us for the CDB (16 for iSCSI unless an extended CDB AHS was used). */
    public int cdbBytes() {
        return cdb.limit();
    }

    public int u8(int offset) {
        return offset < cdb.limit() ? cdb.get(offset) & 0xff : 0;
    }

    public int u16(int offset) {
        return (u8(offset) << 8) | u8(offset + 1);
    }

    public int u24(int offset) {
        return (u8(offset) << 16) | u16(offset + 1);
    }

    public long u32(int offset) {
        return ((long) u16(offset) << 16) | u16(offset + 2);
    }

    public long u64(int offset) {
        return (u32(offset) << 32) | u32(offset + 4);
    }

    public boolean bit(int offset, int bit) {
        return (u8(offset) & (1 << bit)) != 0;
    }

    /** {@code width} bits of byte {@code offset} starting at bit {@code shift}. */
    public int bits(int offset, int shift, int width) {
        return (u8(offset) >>> shift) & ((1 << width) - 1);
    }

    /** The CONTROL byte: the last byte of the CDB for the opcode's group. */
    public int control() {
        int len = CommandDescriptor.cdbLength(opcode());
        return len == 0 ? 0 : u8(len - 1);
    }

    // ---------------------------------------------------------------- checks

    /**
     * Checks {@code [lba, lba + blocks)} against the capacity (SBC-3 §4.5); completes the command
     * with LOGICAL BLOCK ADDRESS OUT OF RANGE and returns false when it does not fit.
     */
    public boolean checkRange(long lba, long blocks) {
        long capacity = geometry().blockCount();
        if (lba < 0 || blocks < 0 || lba > capacity || blocks > capacity - lba) {
            fail(SenseCodes.LBA_OUT_OF_RANGE);
            return false;
        }
        return true;
    }

    /** Completes with INVALID FIELD IN CDB pointing at {@code byteOffset}/{@code bit} (-1: whole byte). */
    public void invalidField(int byteOffset, int bit) {
        fail(SenseCodes.INVALID_FIELD_IN_CDB.withFieldPointer(true, byteOffset, bit));
    }

    /** Completes with INVALID FIELD IN PARAMETER LIST pointing at a parameter-list byte/bit. */
    public void invalidParameter(int byteOffset, int bit) {
        fail(SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST.withFieldPointer(false, byteOffset, bit));
    }

    /** Completes with PARAMETER LIST LENGTH ERROR. */
    public void parameterListLengthError() {
        fail(SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
    }

    /** Whether this nexus may not change the medium right now (read-only backend, ACL or SWP). */
    public boolean writeProtected() {
        return lu.writeProtected() || nexus.readOnly();
    }

    // ---------------------------------------------------------------- data movement

    /** Tells the port how many bytes the CDB asks to move, for residuals (SAM-5 §5.3). */
    public void transferLength(long bytes) {
        int n = (int) Math.min(bytes, Integer.MAX_VALUE);
        int how;
        synchronized (this) {
            if (finished) {
                return;
            }
            how = claimPortLocked();
            if (how != CALL_NOW) {
                how = queueLocked(() -> task.transferLength(n));
            }
        }
        if (how == CALL_NOW) {
            try {
                task.transferLength(n);
            } catch (Throwable t) {
                releasePort();
                throw t;
            }
        }
        if (how != QUEUED) {
            drainWaitingCalls();
        }
    }

    /**
     * Sends a control payload (INQUIRY data, mode pages...) truncated to the CDB's allocation
     * length (SPC-4 §4.2.5.6) and sets the transfer length to what is sent. Does not complete.
     */
    public void sendDataIn(byte[] data, int length, int allocationLength) {
        int n = Math.min(length, allocationLength);
        transferLength(n);
        if (n > 0) {
            sendData(0, DataBuffers.wrap(java.util.Arrays.copyOf(data, n)));
        }
    }

    /** {@link #sendDataIn(byte[], int, int)} then GOOD status. */
    public void respond(byte[] data, int length, int allocationLength) {
        sendDataIn(data, length, allocationLength);
        good();
    }

    /**
     * Sends Data-In at {@code offset}; takes ownership of {@code data} (zero copy: backend buffers
     * go to the port as they are). Dropped and released when the command is already over.
     */
    public void sendData(int offset, DataBuffer data) {
        int how;
        synchronized (this) {
            if (finished || abortRequested) {
                how = -1;
            } else {
                bytesMoved += data.length();
                how = claimPortLocked();
                if (how != CALL_NOW) {
                    how = queueLocked(() -> task.sendData(offset, data));
                }
            }
        }
        if (how < 0) {
            data.release();
            return;
        }
        if (how == CALL_NOW) {
            try {
                task.sendData(offset, data);
            } catch (Throwable t) {
                releasePort();
                throw t;
            }
        }
        if (how != QUEUED) {
            drainWaitingCalls();
        }
    }

    /**
     * Fetches Data-Out {@code [offset, offset + length)}; {@code then} receives the buffer and
     * owns it (release it or pass it on). If the port cannot deliver, the command ends quietly as
     * the SPI says; if the command was aborted meanwhile, the buffer is released and {@code then}
     * does not run.
     */
    public void receiveDataOut(int offset, int length, Consumer<DataBuffer> then) {
        synchronized (this) {
            if (finished || abortRequested) {
                return;
            }
        }
        DataReceiver receiver = new DataReceiver() {
            @Override
            public void received(DataBuffer data) {
                if (!live()) {
                    data.release();
                    return;
                }
                dataOutTaken(data.length());
                try {
                    then.accept(data);
                } catch (RuntimeException e) {
                    internalError(e);
                }
            }

            @Override
            public void failed(Sense reason) {
                LOG.debug("Data-Out for {} failed: {}", Command.this, reason);
                finishQuietly();
            }
        };
        receiveData(offset, length, receiver);
    }

    /** Asks the port for Data-Out, unless the command is over; the receiver runs exactly once. */
    private void receiveData(int offset, int length, DataReceiver receiver) {
        int how;
        synchronized (this) {
            if (finished || abortRequested) {
                return;
            }
            if (receiver == this) {
                ownIo = OWN_DATA_OUT;
            }
            how = claimPortLocked();
            if (how != CALL_NOW) {
                how = queueLocked(() -> task.receiveData(offset, length, receiver));
            }
        }
        if (how == CALL_NOW) {
            try {
                task.receiveData(offset, length, receiver);
            } catch (Throwable t) {
                releasePort();
                throw t;
            }
        }
        if (how != QUEUED) {
            drainWaitingCalls();
        }
    }

    /**
     * Fetches a whole parameter list of {@code length} bytes (after {@link #transferLength}) as
     * a heap array, for MODE SELECT, PERSISTENT RESERVE OUT, UNMAP and the like.
     */
    public void receiveParameterList(int length, Consumer<byte[]> then) {
        transferLength(length);
        if (!dataOutCovers(length)) {
            return;
        }
        if (length == 0) {
            then.accept(new byte[0]);
            return;
        }
        receiveDataOut(0, length, data -> {
            byte[] bytes;
            try {
                bytes = data.toByteArray();
            } finally {
                data.release();
            }
            then.accept(bytes);
        });
    }

    /**
     * Whether the initiator will send the {@code bytes} of Data-Out the CDB asks for. If it
     * announced less (an overflow), nothing is written and the command ends with INVALID FIELD IN
     * COMMAND INFORMATION UNIT, one of the two outcomes FCP-4 §9.4.2 allows and the one that
     * never leaves half a block written; the port reports the overflow residual.
     */
    public boolean dataOutCovers(long bytes) {
        if (task.expectedDataOutLength() < bytes) {
            fail(SenseCodes.INVALID_FIELD_IN_COMMAND_IU);
            return false;
        }
        return true;
    }

    /**
     * How many of the {@code blocks} blocks a write CDB asks for the initiator really sends, for
     * the write commands that move whole blocks (WRITE, WRITE AND VERIFY). Call after
     * {@link #transferLength}. When the initiator announced fewer bytes than the CDB asks (an
     * overflow) but a whole number of blocks, those blocks are written and the command ends GOOD
     * with the overflow residual the port computes: SAM-5 leaves the device server free to
     * transfer only what the initiator sends, and libiscsi's iSCSIResiduals tests require exactly
     * this (EDTL of one block on a two-block WRITE writes the first block, GOOD). A partial block
     * cannot be written, so an EDTL that ends inside a block completes with INVALID FIELD IN
     * COMMAND INFORMATION UNIT (the other outcome those tests accept) and -1 is returned.
     */
    public long blocksSent(long blocks) {
        int bs = geometry().blockSize();
        long announced = task.expectedDataOutLength();
        if (announced >= blocks * bs) {
            return blocks;
        }
        if (announced % bs != 0) {
            fail(SenseCodes.INVALID_FIELD_IN_COMMAND_IU);
            return -1;
        }
        return announced / bs;
    }

    // ---------------------------------------------------------------- backend I/O

    /**
     * One backend read of at most {@code Geometry.maxTransferBlocks} blocks; {@code then} owns the
     * buffer. On failure the command completes with the backend's sense.
     */
    public void read(long lba, int blocks, Consumer<DataBuffer> then) {
        if (!beginIo()) {
            return;
        }
        device().read(lba, blocks, new Continuation<>(then) {
            @Override
            void discard(DataBuffer result) {
                result.release();
            }
        });
    }

    /**
     * One backend write of at most {@code Geometry.maxTransferBlocks} blocks. Takes ownership of
     * {@code data}: it is released once the backend is done with it, whatever the outcome.
     */
    public void write(long lba, DataBuffer data, boolean fua, Consumer<Void> then) {
        if (!beginIo()) {
            data.release();
            return;
        }
        device().write(lba, data, fua, new Continuation<>(then, data::release));
    }

    public void flush(Consumer<Void> then) {
        if (!beginIo()) {
            return;
        }
        device().flush(new Continuation<>(then));
    }

    public void unmap(long lba, long blocks, Consumer<Void> then) {
        if (!beginIo()) {
            return;
        }
        device().unmap(lba, blocks, new Continuation<>(then));
    }

    public void provisioning(long lba, Consumer<Provisioning> then) {
        if (!beginIo()) {
            return;
        }
        device().provisioning(lba, new Continuation<>(then));
    }

    public void setWriteCache(boolean enabled, Consumer<Void> then) {
        if (!beginIo()) {
            return;
        }
        device().setWriteCache(enabled, new Continuation<>(then));
    }

    /**
     * Reads {@code blocks} blocks at {@code lba} into Data-In and completes with GOOD: split into
     * backend-sized pieces, at most {@link #SPLIT_WINDOW} in flight, each piece sent at its offset
     * as the backend returned it (no copy). The range must already be checked.
     */
    public void readToDataIn(long lba, long blocks) {
        Geometry g = geometry();
        transferLength(blocks * g.blockSize());
        if (blocks == 0) {
            good();
            return;
        }
        if (blocks <= SplitTransfer.pieceBlocks(g)) {
            // One backend I/O, as for every 4 KiB read: the command is its own completion.
            if (beginIo(OWN_READ)) {
                device().read(lba, (int) blocks, ownCompletion());
            }
            return;
        }
        new SplitTransfer(this, lba, blocks, g, false, false).start();
    }

    /**
     * Fetches {@code blocks} blocks of Data-Out and writes them at {@code lba}, piece by piece,
     * then completes with GOOD. The range must already be checked.
     */
    public void writeFromDataOut(long lba, long cdbBlocks, boolean fua) {
        Geometry g = geometry();
        transferLength(cdbBlocks * g.blockSize());
        long blocks = blocksSent(cdbBlocks);
        if (blocks < 0) {
            return;
        }
        if (blocks == 0) {
            good();
            return;
        }
        if (blocks <= SplitTransfer.pieceBlocks(g)) {
            // One backend I/O: the command receives the Data-Out itself and is the completion.
            synchronized (this) {
                ownLba = lba;
                ownFua = fua;
            }
            receiveData(0, (int) (blocks * g.blockSize()), this);
            return;
        }
        new SplitTransfer(this, lba, blocks, g, true, fua).start();
    }

    // ---------------------------------------------------------------- single-piece transfer

    /**
     * The backend completion of the command's own single-piece READ or WRITE, or the port's
     * failure to deliver its Data-Out ({@link DataReceiver#failed}): which one, {@code ownIo}
     * says, as at most one of the three is outstanding at a time. Not for handlers, which end a
     * command with {@link #fail}.
     */
    @Override
    public void failed(Sense reason) {
        int io = endOwnIo();
        if (io == OWN_DATA_OUT) {
            LOG.debug("Data-Out for {} failed: {}", this, reason);
            finishQuietly();
            return;
        }
        if (endIo()) {
            fail(reason);
        }
    }

    /** The backend completion of the command's own single-piece READ or WRITE. Not for handlers. */
    @Override
    public void completed(Object result) {
        int io = endOwnIo();
        if (!endIo()) {
            if (io == OWN_READ) {
                ((DataBuffer) result).release();
            }
            return;
        }
        try {
            if (io == OWN_READ) {
                sendData(0, (DataBuffer) result);
            }
            good();
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /**
     * The command's own single-piece I/O ended (either way): which one it was. A WRITE's data goes
     * back now, the backend only borrowed it (BlockDevice#write); a Data-Out wait has none.
     */
    private int endOwnIo() {
        int io;
        DataBuffer written;
        synchronized (this) {
            io = ownIo;
            ownIo = OWN_NONE;
            written = ownWriteData;
            ownWriteData = null;
        }
        if (written != null) {
            written.release();
        }
        return io;
    }

    /** The Data-Out of the command's own single-piece WRITE; owns {@code data}. Not for handlers. */
    @Override
    public void received(DataBuffer data) {
        long lba;
        boolean fua;
        synchronized (this) {
            ownIo = OWN_NONE;
            lba = ownLba;
            fua = ownFua;
        }
        if (!live()) {
            data.release();
            return;
        }
        dataOutTaken(data.length());
        try {
            if (!beginIo(OWN_WRITE)) {
                data.release();
                return;
            }
            synchronized (this) {
                ownWriteData = data;
            }
            device().write(lba, data, fua, ownCompletion());
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /**
     * This command as the completion of its own backend I/O. One object serves both result types
     * ({@code DataBuffer} for a read, {@code Void} for a write) so that a single-piece transfer
     * allocates no completion; {@link #completed} casts by {@code ownIo}, which the cast here
     * cannot check.
     */
    @SuppressWarnings("unchecked")
    private <T> IoCompletion<T> ownCompletion() {
        return (IoCompletion<T>) (IoCompletion<?>) this;
    }

    /**
     * Reads a whole range (split as needed) and gives the pieces, in LBA order, to {@code then},
     * which owns them. For commands that look at data before answering (VERIFY, COMPARE AND WRITE,
     * EXTENDED COPY).
     */
    public void readRange(long lba, long blocks, Consumer<List<DataBuffer>> then) {
        int max = geometry().maxTransferBlocks();
        List<DataBuffer> pieces = new ArrayList<>();
        boolean[] handedOver = new boolean[1];
        // If the command ends before every piece is in (failure, abort), free what was read.
        onFinish(() -> {
            synchronized (pieces) {
                if (!handedOver[0]) {
                    pieces.forEach(DataBuffer::release);
                    pieces.clear();
                }
            }
        });
        readPieces(lba, blocks, max, pieces, handedOver, then);
    }

    private void readPieces(long lba, long remaining, int max, List<DataBuffer> pieces,
            boolean[] handedOver, Consumer<List<DataBuffer>> then) {
        if (remaining == 0) {
            List<DataBuffer> out;
            synchronized (pieces) {
                handedOver[0] = true;
                out = new ArrayList<>(pieces);
            }
            then.accept(out);
            return;
        }
        int n = (int) Math.min(remaining, max);
        read(lba, n, buf -> {
            synchronized (pieces) {
                if (handedOver[0] || isFinished()) {
                    buf.release();
                    return;
                }
                pieces.add(buf);
            }
            readPieces(lba + n, remaining - n, max, pieces, handedOver, then);
        });
    }

    // ---------------------------------------------------------------- calls to the port

    /**
     * Under the monitor: {@link #CALL_NOW} when this thread may call the port at once (nobody is
     * calling it and nothing waits; it is then marked as calling), else {@link #QUEUED}: the call
     * must wait, see {@link #queueLocked}.
     */
    private int claimPortLocked() {
        if (callingPort || finalCall != NO_FINAL_CALL || (waitingCalls != null && !waitingCalls.isEmpty())) {
            return QUEUED;
        }
        callingPort = true;
        return CALL_NOW;
    }

    /**
     * Under the monitor: queues {@code call} behind the calls decided before it. Returns
     * {@link #QUEUED} when another thread is calling the port (it makes the call when it is done
     * with its own), or {@link #QUEUED_AND_DRAIN} when this thread must drain the queue itself.
     */
    private int queueLocked(Runnable call) {
        if (waitingCalls == null) {
            waitingCalls = new ArrayDeque<>(4);
        }
        waitingCalls.add(call);
        return claimDrainLocked();
    }

    private int claimDrainLocked() {
        if (callingPort) {
            return QUEUED;
        }
        callingPort = true;
        return QUEUED_AND_DRAIN;
    }

    /** After a port call that threw: the calls still waiting stay for the next thread that drains. */
    private synchronized void releasePort() {
        callingPort = false;
    }

    /**
     * Makes the calls that waited while this thread called the port, in decision order, the
     * final call last, then lets the next thread call the port. This thread claimed the port.
     */
    private void drainWaitingCalls() {
        boolean released = false;
        try {
            for (;;) {
                Runnable call = null;
                int last;
                ScsiStatus status;
                ByteBuffer sense;
                synchronized (this) {
                    if (waitingCalls != null) {
                        call = waitingCalls.poll();
                    }
                    last = finalCall;
                    status = finalStatus;
                    sense = finalSense;
                    if (call == null) {
                        if (last == NO_FINAL_CALL) {
                            callingPort = false;
                            released = true;
                            return;
                        }
                        finalCall = NO_FINAL_CALL;
                        finalSense = null;
                    }
                }
                if (call != null) {
                    call.run();
                } else {
                    makeFinalCall(last, status, sense);
                }
            }
        } finally {
            if (!released) {
                releasePort();
            }
        }
    }

    /** The task's last call, then the finish hooks behind it. This thread claimed the port. */
    private void makeFinalCall(int last, ScsiStatus status, ByteBuffer sense) {
        if (last == FINAL_COMPLETE) {
            task.complete(status, sense);
        } else if (last == FINAL_ABORTED) {
            task.aborted();
        }
        runFinishHooks();
    }

    /**
     * Under the monitor, once {@code finished} is set: decides the task's last call. Returns
     * {@link #CALL_NOW} when this thread makes it at once, else it waits in {@code finalCall}
     * (after every call decided before it) and {@link #QUEUED} or {@link #QUEUED_AND_DRAIN} says
     * who makes it.
     */
    private int decideFinalCallLocked(int last, ScsiStatus status, ByteBuffer sense) {
        int how = claimPortLocked();
        if (how == CALL_NOW) {
            return CALL_NOW;
        }
        finalCall = last;
        finalStatus = status;
        finalSense = sense;
        return claimDrainLocked();
    }

    /** Runs what {@link #decideFinalCallLocked} decided; the port's exceptions propagate. */
    private void finishCall(int how, int last, ScsiStatus status, ByteBuffer sense) {
        if (how == CALL_NOW) {
            try {
                makeFinalCall(last, status, sense);
            } catch (Throwable t) {
                releasePort();
                throw t;
            }
        }
        if (how != QUEUED) {
            drainWaitingCalls();
        }
    }

    // ---------------------------------------------------------------- backend I/O bookkeeping

    private boolean beginIo() {
        return beginIo(OWN_NONE);
    }

    /** Counts a backend I/O about to start, unless the command is over; {@code own}: see ownIo. */
    private boolean beginIo(int own) {
        synchronized (this) {
            if (finished || abortRequested) {
                return false;
            }
            backendIoInFlight++;
            if (own != OWN_NONE) {
                ownIo = own;
            }
            return true;
        }
    }

    /** Ends one backend I/O; true when the continuation should run. */
    private boolean endIo() {
        boolean finishAbort;
        synchronized (this) {
            backendIoInFlight--;
            if (!finished && !abortRequested) {
                return true;
            }
            finishAbort = abortRequested && !finished && backendIoInFlight == 0;
        }
        if (finishAbort) {
            finishAborted();
        }
        return false;
    }

    /** Backend completion that routes failures and aborts through the command. */
    private class Continuation<T> implements IoCompletion<T> {
        private final Consumer<T> then;
        private final Runnable always;

        Continuation(Consumer<T> then) {
            this(then, null);
        }

        Continuation(Consumer<T> then, Runnable always) {
            this.then = then;
            this.always = always;
        }

        void discard(T result) {
        }

        @Override
        public void completed(T result) {
            if (always != null) {
                always.run();
            }
            if (!endIo()) {
                discard(result);
                return;
            }
            try {
                then.accept(result);
            } catch (RuntimeException e) {
                internalError(e);
            }
        }

        @Override
        public void failed(Sense sense) {
            if (always != null) {
                always.run();
            }
            if (endIo()) {
                fail(sense);
            }
        }
    }

    // ---------------------------------------------------------------- completion

    public void good() {
        complete(ScsiStatus.GOOD, null);
    }

    /** CHECK CONDITION with {@code sense}, encoded as the LU's D_SENSE bit says. */
    public void fail(Sense sense) {
        complete(ScsiStatus.CHECK_CONDITION, sense);
    }

    /**
     * Completes the task. Runs at most once; later calls (a second failure of a split I/O, a
     * completion after an abort) are ignored.
     */
    public void complete(ScsiStatus status, Sense sense) {
        ByteBuffer encoded;
        int how;
        synchronized (this) {
            if (finished) {
                return;
            }
            if (abortRequested) {
                // The abort finishes the task once the backend I/O is back; drop this outcome.
                return;
            }
            finished = true;
            encoded = sense == null ? null
                    : SenseEncoder.encode(sense, lu != null && lu.modePages().descriptorSense());
            if (LOG.isDebugEnabled()) { // the varargs array would be garbage on every command
                LOG.debug("{} -> {} {}", this, status, sense == null ? "" : sense);
            }
            how = decideFinalCallLocked(FINAL_COMPLETE, status, encoded);
        }
        // IoStats: an error is a CHECK CONDITION other than a unit attention (those are routine
        // after logins and resets and say nothing about the LU's health).
        countCompletion(status == ScsiStatus.CHECK_CONDITION && sense != null && sense.key() != Sense.UNIT_ATTENTION);
        finishCall(how, FINAL_COMPLETE, status, encoded);
    }

    private synchronized void dataOutTaken(long bytes) {
        bytesMoved += bytes;
    }

    /**
     * Counts this command in its LU's statistics, once, when its status is decided (or it ends
     * without one): the device server's view of latency, from arrival to status. No allocation.
     */
    private void countCompletion(boolean error) {
        if (lu == null) {
            return;
        }
        long bytes;
        synchronized (this) {
            bytes = bytesMoved;
        }
        lu.ioStats().record(ioKind, bytes, System.nanoTime() - arrivalNanos, error);
    }

    private void internalError(RuntimeException e) {
        LOG.warn("Command {} failed inside the device server", this, e);
        fail(SenseCodes.INTERNAL_TARGET_FAILURE);
    }

    /** The port gave up on the task (Data-Out failed): finish without telling it anything. */
    private void finishQuietly() {
        int how;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            how = decideFinalCallLocked(FINAL_HOOKS_ONLY, null, null);
        }
        countCompletion(true);
        finishCall(how, FINAL_HOOKS_ONLY, null, null);
    }

    /**
     * Aborts the task (TMF, reset, nexus loss, overlapped command). A task that has backend I/O
     * in flight is finished when the last of it comes back, so its buffers are released and a
     * write cannot land after the abort was reported (SAM-5 §7.1); otherwise at once.
     *
     * @param whenGone runs once the task is gone (immediately if it was already complete)
     */
    public void abort(Runnable whenGone) {
        boolean now;
        synchronized (this) {
            if (finished) {
                now = false;
            } else {
                abortRequested = true;
                onFinish(whenGone);
                now = backendIoInFlight == 0;
                if (!now) {
                    return;
                }
            }
        }
        if (now) {
            finishAborted();
        } else {
            whenGone.run();
        }
    }

    /**
     * First half of an abort of many tasks: stops this one from starting or moving data, so that
     * aborting an older ORDERED task does not start a newer one that is being aborted too.
     */
    synchronized void markAbortRequested() {
        if (!finished) {
            abortRequested = true;
        }
    }

    private void finishAborted() {
        int how;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            LOG.debug("{} aborted", this);
            how = decideFinalCallLocked(FINAL_ABORTED, null, null);
        }
        countCompletion(true);
        finishCall(how, FINAL_ABORTED, null, null);
    }

    /** Whether the command may still move data and run continuations. */
    public synchronized boolean live() {
        return !finished && !abortRequested;
    }

    public synchronized boolean isFinished() {
        return finished;
    }

    public synchronized boolean isAbortRequested() {
        return abortRequested;
    }

    /** Registers {@code r} to run after the task completed or was aborted (runs now if it has). */
    public void onFinish(Runnable r) {
        boolean now;
        synchronized (this) {
            now = finished;
            if (!now) {
                if (firstHook == null) {
                    firstHook = r;
                } else {
                    if (moreHooks == null) {
                        moreHooks = new ArrayList<>(2);
                    }
                    moreHooks.add(r);
                }
            }
        }
        if (now) {
            r.run();
        }
    }

    /**
     * The task set's finish hook, kept in fields instead of a closure in the hook list because
     * every command on a logical unit has one: when the command ends it leaves {@code ts} and
     * {@code dispatcher} starts the tasks that became enabled. Runs before the other hooks (it is
     * registered at admission, before any of them); runs now if the command already ended.
     */
    void joinTaskSet(Dispatcher dispatcher, TaskSet ts) {
        synchronized (this) {
            if (!finished) {
                taskSetDispatcher = dispatcher;
                taskSet = ts;
                return;
            }
        }
        dispatcher.taskEnded(ts, this);
    }

    /**
     * Runs the finish hooks once the task's last call was made, so that a hook (a TMF response,
     * the next ORDERED task) never overtakes {@code complete} or {@code aborted} on its way to
     * the port, even when another thread is draining the calls. A failing hook is logged and the
     * others still run.
     */
    private void runFinishHooks() {
        Dispatcher dispatcher;
        TaskSet ts;
        Runnable first;
        List<Runnable> more;
        synchronized (this) {
            dispatcher = taskSetDispatcher;
            ts = taskSet;
            first = firstHook;
            more = moreHooks;
            taskSetDispatcher = null;
            taskSet = null;
            firstHook = null;
            moreHooks = null;
        }
        if (ts != null) {
            try {
                dispatcher.taskEnded(ts, this);
            } catch (RuntimeException e) {
                LOG.warn("Task-finish hook failed", e);
            }
        }
        if (first != null) {
            runHook(first);
        }
        if (more != null) {
            for (int i = 0; i < more.size(); i++) {
                runHook(more.get(i));
            }
        }
    }

    private static void runHook(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("Task-finish hook failed", e);
        }
    }

    // ---------------------------------------------------------------- dispatcher state

    synchronized boolean markStarted() {
        if (started || finished || abortRequested) {
            return false;
        }
        started = true;
        if (lu != null) {
            device = lu.device();
            geometry = device == null ? null : device.geometry();
        }
        return true;
    }

    public synchronized boolean isStarted() {
        return started;
    }

    /** Whether a port call ever had to wait in the queue (test hook for issue 7's fast path). */
    synchronized boolean queuedACall() {
        return waitingCalls != null;
    }

    @Override
    public String toString() {
        return String.format("%s tag=0x%x lun=%s %s", descriptor == null ? String.format("op=%02x", opcode())
                : descriptor.name(), task.tag(), lu == null ? "-" : Integer.toString(lu.lun()), task.attribute());
    }
}
