package dev.lunar.transport.tcp.internal;

import io.netty.channel.DefaultFileRegion;
import java.nio.channels.FileChannel;

/**
 * A Netty file region over a channel that belongs to somebody else (the backend). Netty's
 * {@link DefaultFileRegion} closes its channel when released; here the channel's owner is the
 * {@code DataBuffer}, released separately when the write completes, so releasing this region
 * does nothing. Extending {@code DefaultFileRegion} (rather than implementing {@code FileRegion})
 * matters: the epoll transport only uses the {@code sendfile(2)} fast path for that class.
 */
final class BorrowedFileRegion extends DefaultFileRegion {

    BorrowedFileRegion(FileChannel channel, long position, long count) {
        super(channel, position, count);
    }

    @Override
    protected void deallocate() {
        // The channel is the backend's; see the class comment.
    }
}
