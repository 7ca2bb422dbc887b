package dev.lunar.iscsi.internal;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.DataReceiver;
import dev.lunar.spi.scsi.DeviceServer;
import dev.lunar.spi.scsi.Nexus;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskManagementFunction;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import dev.lunar.spi.scsi.TmfResult;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A tiny SCSI device server for engine tests: one LUN of 512-byte blocks in a byte array,
 * TEST UNIT READY, INQUIRY, READ(10), WRITE(10). With {@link #hold} set, commands are parked
 * until {@link #releaseHeld()}, so tests can fill the window or abort them.
 */
final class RamDevice implements DeviceServer {

    static final int BLOCK = 512;

    final byte[] disk = new byte[BLOCK * 64];
    final List<Integer> executedOpcodes = new ArrayList<>();
    final Map<Long, ScsiTask> running = new LinkedHashMap<>();
    final ArrayDeque<ScsiTask> parked = new ArrayDeque<>();
    boolean hold;
    int nexusesOpened;
    int nexusesClosed;
    /**
     * When set, ABORT TASK answers FUNCTION COMPLETE without calling {@code aborted()}: a core
     * whose command had already made its final call (its completion crossing the abort).
     */
    boolean abortAfterCompletion;
    /** When set, task management answers wait here until the test calls them. */
    final ArrayDeque<Runnable> deferredTmfAnswers = new ArrayDeque<>();
    boolean deferTmfAnswers;
    /** When set, READ data is handed over in this many separate sendData calls, last piece first. */
    int readPiecesReversed;

    @Override
    public Nexus openNexus(String targetName, String initiatorPort, String targetPort, int relativeTargetPortId,
            boolean readOnly) {
        nexusesOpened++;
        return new Nexus() {
            @Override
            public void execute(ScsiTask task) {
                executedOpcodes.add(task.cdb().get(0) & 0xff);
                running.put(task.tag(), task);
                if (hold) {
                    parked.add(task);
                } else {
                    run(task);
                }
            }

            @Override
            public void manage(TmfRequest request, Consumer<TmfResponse> answer) {
                Consumer<TmfResponse> done = !deferTmfAnswers ? answer
                        : response -> deferredTmfAnswers.add(() -> answer.accept(response));
                if (request.function() == TaskManagementFunction.ABORT_TASK && abortAfterCompletion) {
                    running.remove(request.referencedTag());
                    done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE));
                    return;
                }
                if (request.function() == TaskManagementFunction.ABORT_TASK) {
                    ScsiTask t = running.remove(request.referencedTag());
                    if (t == null) {
                        done.accept(TmfResponse.of(TmfResult.TASK_NOT_FOUND));
                        return;
                    }
                    parked.remove(t);
                    t.aborted();
                }
                done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE));
            }

            @Override
            public void close() {
                nexusesClosed++;
                for (ScsiTask t : new ArrayList<>(running.values())) {
                    t.aborted();
                }
                running.clear();
                parked.clear();
            }
        };
    }

    void releaseHeld() {
        hold = false;
        ScsiTask t;
        while ((t = parked.poll()) != null) {
            run(t);
        }
    }

    private void done(ScsiTask t, ScsiStatus status, Sense sense) {
        running.remove(t.tag());
        t.complete(status, sense == null ? null : SenseData.fixed(sense));
    }

    private void run(ScsiTask t) {
        ByteBuffer cdb = t.cdb();
        switch (cdb.get(0) & 0xff) {
            case 0x00 -> done(t, ScsiStatus.GOOD, null);
            case 0x12 -> {
                int alloc = cdb.getShort(3) & 0xffff;
                byte[] inq = new byte[36];
                inq[4] = 31;
                byte[] vendor = "LUNAR   ".getBytes();
                System.arraycopy(vendor, 0, inq, 8, 8);
                int n = Math.min(alloc, 36);
                t.transferLength(n);
                t.sendData(0, DataBuffers.wrap(java.util.Arrays.copyOf(inq, n)));
                done(t, ScsiStatus.GOOD, null);
            }
            case 0x28 -> {
                int lba = cdb.getInt(2);
                int blocks = cdb.getShort(7) & 0xffff;
                int len = blocks * BLOCK;
                if ((long) (lba + blocks) * BLOCK > disk.length) {
                    done(t, ScsiStatus.CHECK_CONDITION, Sense.LBA_OUT_OF_RANGE);
                    return;
                }
                t.transferLength(len);
                DataBuffer all = DataBuffers.wrap(java.util.Arrays.copyOfRange(disk, lba * BLOCK, lba * BLOCK + len));
                if (readPiecesReversed > 1 && len > 0) {
                    int piece = len / readPiecesReversed;
                    for (int i = readPiecesReversed - 1; i >= 0; i--) {
                        int off = i * piece;
                        int n = i == readPiecesReversed - 1 ? len - off : piece;
                        t.sendData(off, all.retainedSlice(off, n));
                    }
                    all.release();
                } else {
                    t.sendData(0, all);
                }
                done(t, ScsiStatus.GOOD, null);
            }
            case 0x2a -> {
                int lba = cdb.getInt(2);
                int blocks = cdb.getShort(7) & 0xffff;
                int len = blocks * BLOCK;
                if ((long) (lba + blocks) * BLOCK > disk.length) {
                    done(t, ScsiStatus.CHECK_CONDITION, Sense.LBA_OUT_OF_RANGE);
                    return;
                }
                t.transferLength(len);
                if (len == 0) {
                    done(t, ScsiStatus.GOOD, null);
                    return;
                }
                t.receiveData(0, len, new DataReceiver() {
                    @Override
                    public void received(DataBuffer data) {
                        try {
                            data.copyTo(0, ByteBuffer.wrap(disk, lba * BLOCK, len));
                        } finally {
                            data.release();
                        }
                        done(t, ScsiStatus.GOOD, null);
                    }

                    @Override
                    public void failed(Sense reason) {
                        running.remove(t.tag());
                    }
                });
            }
            default -> done(t, ScsiStatus.CHECK_CONDITION, Sense.INVALID_OPCODE);
        }
    }
}
