package dev.lunar.itests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free loopback TCP ports for a distribution under test, so tests never collide with a Lunar
 * started by {@code ./lunar start} (3260, 8101, 1099, 44444) or with each other.
 */
public final class FreePorts {

    private FreePorts() {
    }

    /**
     * Returns {@code count} distinct ports that were free a moment ago. All sockets are held open
     * until every port is chosen, so the same port is never handed out twice; another process
     * may still take one before the distribution binds it, which the callers report as a
     * start-up failure with the log.
     */
    public static int[] pick(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                socket.setReuseAddress(true);
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a listening socket we own; nothing to recover
                }
            }
        }
    }
}
