package dev.lunar.transport.tcp.internal;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's benchmark threads as Netty {@code FastThreadLocalThread}s ({@code -Djmh.executor=CUSTOM}),
 * as the transport's event loop threads are: Netty recycles its per-write objects (the outbound
 * buffer's entries) only on such threads, so on plain JMH threads {@code gc.alloc.rate.norm}
 * would count garbage the real I/O thread never makes.
 */
public final class FastThreadLocalExecutor extends ThreadPoolExecutor {

    /** The constructor JMH calls for a custom executor. */
    public FastThreadLocalExecutor(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
