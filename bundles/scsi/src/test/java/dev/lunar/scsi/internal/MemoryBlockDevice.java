package dev.lunar.scsi.internal;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Sense;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * An in-memory {@link BlockDevice} for tests: a heap array, configurable geometry, I/O completed
 * at once or held until {@link #releaseHeld()}, failure injection and counters.
 */
public final class MemoryBlockDevice implements BlockDevice {

    private volatile Geometry geometry;
    private byte[] data;
    private boolean hold;
    private final Deque<Runnable> held = new ArrayDeque<>();
    private Sense failNext;
    public final List<String> log = new ArrayList<>();
    public int reads;
    public int writes;
    public int fuaWrites;
    public int flushes;
    public int maxBlocksPerIo;
    public boolean closed;

    public MemoryBlockDevice(Geometry g) {
        this.geometry = g;
        this.data = new byte[(int) g.capacityBytes()];
    }

    /** 512-byte blocks, {@code blocks} of them, backend I/O limited to {@code maxTransfer} blocks. */
    public static Geometry geometry(long blocks, int maxTransfer) {
        return new Geometry(512, blocks, 0, maxTransfer, 0, 1, 0, 1 << 16, true, false, false, 1);
    }

    public synchronized MemoryBlockDevice hold(boolean on) {
        hold = on;
        return this;
    }

    /** Completes the I/Os held now (not those their completions submit); returns how many. */
    public int releaseHeld() {
        List<Runnable> now;
        synchronized (this) {
            now = new ArrayList<>(held);
            held.clear();
        }
        now.forEach(Runnable::run);
        return now.size();
    }

    public synchronized int heldCount() {
        return held.size();
    }

    public synchronized void failNext(Sense sense) {
        failNext = sense;
    }

    public synchronized byte[] bytes(long lba, int blocks) {
        int bs = geometry.blockSize();
        byte[] out = new byte[blocks * bs];
        System.arraycopy(data, (int) (lba * bs), out, 0, out.length);
        return out;
    }

    public synchronized void fill(long lba, byte[] bytes) {
        System.arraycopy(bytes, 0, data, (int) (lba * geometry.blockSize()), bytes.length);
    }

    private java.util.concurrent.Executor executor;

    /** Completes I/O on {@code e}'s threads instead of the caller's (null: on the caller). */
    public synchronized MemoryBlockDevice completeOn(java.util.concurrent.Executor e) {
        executor = e;
        return this;
    }

    private void submit(Runnable r) {
        java.util.concurrent.Executor e;
        synchronized (this) {
            e = executor;
        }
        if (e != null) {
            e.execute(r);
            return;
        }
        boolean now;
        synchronized (this) {
            now = !hold;
            if (!now) {
                held.add(r);
            }
        }
        if (now) {
            r.run();
        }
    }

    private synchronized Sense takeFailure() {
        Sense s = failNext;
        failNext = null;
        return s;
    }

    @Override
    public Geometry geometry() {
        return geometry;
    }

    @Override
    public void read(long lba, int blocks, IoCompletion<DataBuffer> done) {
        synchronized (this) {
            reads++;
            maxBlocksPerIo = Math.max(maxBlocksPerIo, blocks);
            log.add("read " + lba + "+" + blocks);
        }
        submit(() -> {
            Sense f = takeFailure();
            if (f != null) {
                done.failed(f);
                return;
            }
            done.completed(DataBuffers.wrap(bytes(lba, blocks)));
        });
    }

    @Override
    public void write(long lba, DataBuffer buf, boolean fua, IoCompletion<Void> done) {
        byte[] copy = buf.toByteArray(); // borrowed: copy before returning
        synchronized (this) {
            writes++;
            if (fua) {
                fuaWrites++;
            }
            maxBlocksPerIo = Math.max(maxBlocksPerIo, copy.length / geometry.blockSize());
            log.add("write " + lba + "+" + copy.length / geometry.blockSize() + (fua ? " fua" : ""));
        }
        submit(() -> {
            Sense f = takeFailure();
            if (f != null) {
                done.failed(f);
                return;
            }
            fill(lba, copy);
            done.completed(null);
        });
    }

    @Override
    public void flush(IoCompletion<Void> done) {
        synchronized (this) {
            flushes++;
        }
        submit(() -> done.completed(null));
    }

    @Override
    public void unmap(long lba, long blocks, IoCompletion<Void> done) {
        submit(() -> {
            synchronized (this) {
                int bs = geometry.blockSize();
                java.util.Arrays.fill(data, (int) (lba * bs), (int) ((lba + blocks) * bs), (byte) 0);
            }
            done.completed(null);
        });
    }

    @Override
    public void provisioning(long lba, IoCompletion<Provisioning> done) {
        submit(() -> done.completed(new Provisioning(lba, 1, true)));
    }

    @Override
    public void setWriteCache(boolean enabled, IoCompletion<Void> done) {
        geometry = geometry.withWriteCache(enabled);
        done.completed(null);
    }

    @Override
    public synchronized void resize(long blockCount) throws BackendException {
        byte[] n = new byte[(int) (blockCount * geometry.blockSize())];
        System.arraycopy(data, 0, n, 0, Math.min(n.length, data.length));
        data = n;
        geometry = geometry.withBlockCount(blockCount);
    }

    @Override
    public void close() {
        closed = true;
    }
}
