package dev.lunar.scsi.internal.xcopy;

import dev.lunar.scsi.internal.command.Command;
import dev.lunar.scsi.internal.command.StepLoop;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.scsi.Sense;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data movement of one EXTENDED COPY: its segments in order, each as backend reads then
 * writes in pieces no larger than either backend's maximum transfer, one piece in flight at a
 * time. The buffer a read returns is handed to the write as it is, so a block is never copied in
 * the JVM on its way from source to destination.
 *
 * <p>I/O on the logical unit that received the command goes through the {@link Command}, which
 * makes it abort-safe (an abort waits for it). I/O on another logical unit of the target goes
 * straight to that unit's {@link BlockDevice}; after an abort no new piece starts, but the one
 * in flight may still complete (at most one backend write per copy).
 *
 * <p>Threading: each step runs on the thread that completed the previous I/O; the {@link StepLoop}
 * keeps inline completions from growing the stack.
 */
public final class CopyJob {

    private static final Logger LOG = LoggerFactory.getLogger(CopyJob.class);

    /** A segment with its copy targets resolved to logical units. */
    public record Step(CopyParameterList.Segment segment, LogicalUnit source, LogicalUnit destination) {
    }

    private final Command command;
    private final List<Step> steps;
    private final CopyResults.Operation operation;
    private final Runnable whenDone;
    private final StepLoop loop;

    // Only the running step touches these; the StepLoop orders the steps.
    private int stepIndex;
    private long blocksDone;

    public CopyJob(Command command, List<Step> steps, CopyResults.Operation operation, Runnable whenDone) {
        this.command = command;
        this.steps = steps;
        this.operation = operation;
        this.whenDone = whenDone;
        this.loop = new StepLoop(this::step);
    }

    public void start() {
        loop.next();
    }

    private void step() {
        while (stepIndex < steps.size() && blocksDone == steps.get(stepIndex).segment().blocks()) {
            stepIndex++;
            blocksDone = 0;
            if (operation != null) {
                operation.segmentDone();
            }
        }
        if (stepIndex == steps.size()) {
            whenDone.run();
            return;
        }
        if (!command.live()) {
            return;
        }
        Step s = steps.get(stepIndex);
        int bs = s.source().geometry().blockSize();
        int max = Math.max(1, Math.min(s.source().geometry().maxTransferBlocks(),
                s.destination().geometry().maxTransferBlocks()));
        int n = (int) Math.min(max, s.segment().blocks() - blocksDone);
        // Like memmove: when the destination overlaps the source from above, copy from the end,
        // so no block is overwritten before it was read.
        long at = backward(s) ? s.segment().blocks() - blocksDone - n : blocksDone;
        long from = s.segment().sourceLba() + at;
        long to = s.segment().destinationLba() + at;
        blocksDone += n;
        read(s.source(), from, n, data -> write(s.destination(), to, data, () -> {
            if (operation != null) {
                operation.transferred((long) n * bs);
            }
            loop.next();
        }));
    }

    private static boolean backward(Step s) {
        long src = s.segment().sourceLba();
        long dst = s.segment().destinationLba();
        return s.source() == s.destination() && dst > src && dst < src + s.segment().blocks();
    }

    private void read(LogicalUnit lu, long lba, int blocks, Consumer<DataBuffer> then) {
        if (lu == command.lu()) {
            command.read(lba, blocks, then);
            return;
        }
        BlockDevice device = lu.device();
        if (device == null) {
            command.fail(CopySense.TARGET_NOT_REACHABLE);
            return;
        }
        device.read(lba, blocks, new IoCompletion<>() {
            @Override
            public void completed(DataBuffer data) {
                if (!command.live()) {
                    data.release();
                    return;
                }
                run(() -> then.accept(data));
            }

            @Override
            public void failed(Sense sense) {
                command.fail(sense);
            }
        });
    }

    /** Writes {@code data} and releases it once the backend is done with it. */
    private void write(LogicalUnit lu, long lba, DataBuffer data, Runnable then) {
        if (lu == command.lu()) {
            command.write(lba, data, false, v -> then.run());
            return;
        }
        BlockDevice device = lu.device();
        if (device == null || !command.live()) {
            data.release();
            command.fail(CopySense.TARGET_NOT_REACHABLE);
            return;
        }
        device.write(lba, data, false, new IoCompletion<>() {
            @Override
            public void completed(Void v) {
                data.release();
                if (command.live()) {
                    run(then);
                }
            }

            @Override
            public void failed(Sense sense) {
                data.release();
                command.fail(sense);
            }
        });
    }

    private void run(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("EXTENDED COPY {} failed inside the copy manager", command, e);
            command.fail(SenseCodes.INTERNAL_TARGET_FAILURE);
        }
    }
}
