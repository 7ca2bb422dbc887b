package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.transport.Transport;
import java.lang.annotation.Annotation;

/**
 * The three lifecycle calls Declarative Services makes on {@link TcpTransport} (activate, modified,
 * deactivate), for a bundle that embeds this package and runs a TCP engine of its own under
 * another kind (the example vendor transport).
 *
 * <p>This class is compiled by the example module into transport-tcp's package, because those
 * calls are package-private there; it is not part of transport-tcp. Keeping it to the exact DS
 * calls means the embedded engine lives the same life as the one transport-tcp registers, and any
 * change to them in transport-tcp breaks this module's compilation instead of its run time.
 */
public final class TcpTransportLifecycle {

    private TcpTransportLifecycle() {
    }

    /** The values of {@link TcpTransport.Config}, without an annotation instance from DS. */
    public record Settings(int ioThreads, boolean nativeEpoll, int maxRecvDataSegmentLength, int bufferMemoryMiB)
            implements TcpTransport.Config {

        @Override
        public Class<? extends Annotation> annotationType() {
            return TcpTransport.Config.class;
        }
    }

    /**
     * Starts an engine (event loops, buffer budget). Called from a management thread.
     *
     * @throws IllegalArgumentException when a setting is out of range
     */
    public static Transport activate(Settings settings) {
        return new TcpTransport(settings);
    }

    /** Applies the settings that can change under live connections (see {@link TcpTransport#modified}). */
    public static void modified(Transport engine, Settings settings) {
        ((TcpTransport) engine).modified(settings);
    }

    /** Stops an engine made by {@link #activate}: bounded and idempotent, as {@link TcpTransport#deactivate}. */
    public static void deactivate(Transport engine) {
        ((TcpTransport) engine).deactivate();
    }
}
