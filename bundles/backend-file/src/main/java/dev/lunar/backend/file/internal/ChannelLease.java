package dev.lunar.backend.file.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a device's {@link FileChannel} open while anyone still needs it: the device holds one
 * reference, and every zero-copy read buffer (a file region a transport sends later, maybe after
 * the LUN was closed) holds one more. The channel closes when the last one is released, so a
 * region is never sent from a closed channel ({@code FileRegion}'s contract).
 */
final class ChannelLease {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelLease.class);

    private final FileChannel channel;
    private final String what;
    private final AtomicInteger refs = new AtomicInteger(1);

    ChannelLease(FileChannel channel, String what) {
        this.channel = channel;
        this.what = what;
    }

    FileChannel channel() {
        return channel;
    }

    /** Adds a reference; false once the channel is closed. */
    boolean acquire() {
        for (;;) {
            int r = refs.get();
            if (r <= 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("Closing {} failed: {}", what, e.toString());
            }
        } else if (r < 0) {
            throw new IllegalStateException("channel lease of " + what + " released too often");
        }
    }

    int references() {
        return refs.get();
    }
}
