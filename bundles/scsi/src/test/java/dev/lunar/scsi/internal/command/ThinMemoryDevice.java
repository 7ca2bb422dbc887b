package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.DataBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A thin-provisioned test device: {@link MemoryBlockDevice} for the bytes, plus a map of which
 * blocks hold storage (set by writes, cleared by unmap) that {@link #provisioning} reports as runs.
 */
final class ThinMemoryDevice implements BlockDevice {

    final MemoryBlockDevice bytes;
    private final BitSet mapped = new BitSet();
    final List<String> unmaps = new ArrayList<>();

    ThinMemoryDevice(Geometry g) {
        this.bytes = new MemoryBlockDevice(g);
    }

    synchronized boolean isMapped(long lba) {
        return mapped.get((int) lba);
    }

    @Override
    public Geometry geometry() {
        return bytes.geometry();
    }

    @Override
    public void read(long lba, int blocks, IoCompletion<DataBuffer> done) {
        bytes.read(lba, blocks, done);
    }

    @Override
    public void write(long lba, DataBuffer data, boolean fua, IoCompletion<Void> done) {
        int n = data.length() / geometry().blockSize();
        synchronized (this) {
            mapped.set((int) lba, (int) lba + n);
        }
        bytes.write(lba, data, fua, done);
    }

    @Override
    public void flush(IoCompletion<Void> done) {
        bytes.flush(done);
    }

    @Override
    public void unmap(long lba, long blocks, IoCompletion<Void> done) {
        synchronized (this) {
            unmaps.add(lba + "+" + blocks);
            mapped.clear((int) lba, (int) (lba + blocks));
        }
        bytes.unmap(lba, blocks, done);
    }

    @Override
    public void provisioning(long lba, IoCompletion<Provisioning> done) {
        Provisioning p;
        synchronized (this) {
            boolean m = mapped.get((int) lba);
            int end = m ? mapped.nextClearBit((int) lba) : mapped.nextSetBit((int) lba);
            long capacity = geometry().blockCount();
            long e = end < 0 || end > capacity ? capacity : end;
            p = new Provisioning(lba, e - lba, m);
        }
        done.completed(p);
    }

    @Override
    public void setWriteCache(boolean enabled, IoCompletion<Void> done) {
        bytes.setWriteCache(enabled, done);
    }

    @Override
    public void resize(long blockCount) throws BackendException {
        bytes.resize(blockCount);
    }

    @Override
    public void close() {
        bytes.close();
    }
}
