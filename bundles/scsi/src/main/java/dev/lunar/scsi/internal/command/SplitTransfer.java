package dev.lunar.scsi.internal.command;

import dev.lunar.spi.backend.Geometry;
import java.util.concurrent.atomic.LongAdder;

/**
 * A READ or WRITE larger than the backend's {@link Geometry#maxTransferBlocks()} cut into
 * backend-sized pieces (DESIGN §3.3), with a bounded number in flight. A transfer that fits one
 * piece never gets here: {@link Command} runs it itself without allocating (issue 7). Read pieces go to the port
 * at their byte offset as soon as they arrive (the port accepts any order), so the backend's
 * buffers reach the wire without a copy. Write pieces are fetched from Data-Out and handed to the
 * backend as the port delivered them.
 */
final class SplitTransfer {

    private final Command command;
    private final long lba;
    private final long blocks;
    private final int blockSize;
    private final int pieceBlocks;
    private final boolean write;
    private final boolean fua;

    // Guarded by "this".
    private long nextBlock;
    private int inFlight;
    private long doneBlocks;

    /** How many split transfers were made; for tests that the single-piece path makes none. */
    private static final LongAdder CREATED = new LongAdder();

    SplitTransfer(Command command, long lba, long blocks, Geometry g, boolean write, boolean fua) {
        this.command = command;
        this.lba = lba;
        this.blocks = blocks;
        this.blockSize = g.blockSize();
        this.pieceBlocks = pieceBlocks(g);
        this.write = write;
        this.fua = fua;
        CREATED.increment();
    }

    /** Blocks per backend I/O: the backend's maximum, kept so every piece's byte offset and length fit an int. */
    static int pieceBlocks(Geometry g) {
        return (int) Math.min(g.maxTransferBlocks(), Integer.MAX_VALUE / g.blockSize());
    }

    /** Split transfers made in this JVM so far (test hook). */
    static long created() {
        return CREATED.sum();
    }

    void start() {
        issueMore();
    }

    private void issueMore() {
        while (true) {
            long first;
            int n;
            synchronized (this) {
                if (nextBlock >= blocks || inFlight >= Command.SPLIT_WINDOW || !command.live()) {
                    return;
                }
                first = nextBlock;
                n = (int) Math.min(pieceBlocks, blocks - first);
                nextBlock += n;
                inFlight++;
            }
            issue(first, n);
        }
    }

    private void issue(long first, int n) {
        int offset = (int) (first * blockSize);
        if (write) {
            command.receiveDataOut(offset, n * blockSize,
                    data -> command.write(lba + first, data, fua, v -> pieceDone(n)));
        } else {
            command.read(lba + first, n, data -> {
                command.sendData(offset, data);
                pieceDone(n);
            });
        }
    }

    private void pieceDone(int n) {
        boolean all;
        synchronized (this) {
            inFlight--;
            doneBlocks += n;
            all = doneBlocks == blocks;
        }
        if (all) {
            command.good();
        } else {
            issueMore();
        }
    }
}
