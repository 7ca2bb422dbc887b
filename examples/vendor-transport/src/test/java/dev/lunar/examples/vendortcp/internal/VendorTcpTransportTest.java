package dev.lunar.examples.vendortcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.Portal;
import dev.lunar.spi.transport.Transport;
import dev.lunar.testkit.transport.RecordingListener;
import dev.lunar.testkit.transport.WireFrames;
import dev.lunar.transport.tcp.internal.TcpTransportLifecycle;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the contract tests cannot see: the iscsi bundle's listener is always handed the connection
 * object it was given, and a live connection moves between a plain {@code tcp} engine (what
 * transport-tcp registers) and {@code vendor-tcp} and back, changing the kind it reports and
 * nothing else (DESIGN.md §3.5, issue 6 "transport move").
 */
class VendorTcpTransportTest {

    private static final int NOP_OUT = 0x00;
    private static final int NOP_IN = 0x20;
    private static final TcpTransportLifecycle.Settings SMALL = new TcpTransportLifecycle.Settings(1, false, 262144, 64);

    private final VendorTcpTransport vendor = new VendorTcpTransport(SMALL);
    private final Transport tcp = TcpTransportLifecycle.activate(SMALL);
    private final List<AutoCloseable> cleanups = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : cleanups) {
            c.close();
        }
        vendor.deactivate();
        TcpTransportLifecycle.deactivate(tcp);
    }

    @Test
    void registersItsOwnKindOnTheTcpWire() {
        assertEquals("vendor-tcp", vendor.kind());
        assertEquals("tcp", vendor.wire());
        assertEquals("tcp", tcp.kind(), "the embedded engine itself stays a tcp transport");
        assertEquals(262144, vendor.limits().maxRecvDataSegmentLength());
    }

    @Test
    void listenerAlwaysReceivesTheConnectionTheHandlerWasGiven() throws Exception {
        AtomicReference<Connection> accepted = new AtomicReference<>();
        List<Connection> calledWith = new CopyOnWriteArrayList<>();
        CountDownLatch pdu = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        ConnectionHandler handler = c -> {
            accepted.set(c);
            return new ConnectionListener() {
                @Override
                public void pduReceived(Connection connection, Pdu p) {
                    calledWith.add(connection);
                    p.release();
                    pdu.countDown();
                }

                @Override
                public void closed(Connection connection, Throwable cause) {
                    calledWith.add(connection);
                    closed.countDown();
                }
            };
        };
        Portal portal = vendor.listen(loopback(), handler);
        cleanups.add(portal::close);
        Socket s = connect(portal);
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(NOP_OUT, 0, 0, 1), null, false, false));
        assertTrue(pdu.await(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS), "no PDU delivered");
        s.close();
        assertTrue(closed.await(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS), "closed() never called");

        Connection c = accepted.get();
        assertNotNull(c);
        assertEquals("vendor-tcp", c.transportKind());
        // transport-tcp's own copy of the engine numbers its connections tcp-1, tcp-2, ... as well.
        assertEquals("vendor-" + ((VendorConnection) c).engineConnection().id(), c.id());
        assertEquals(2, calledWith.size());
        assertSame(c, calledWith.get(0), "pduReceived got another object than accepted()");
        assertSame(c, calledWith.get(1), "closed got another object than accepted()");
    }

    @Test
    void liveConnectionMovesFromTcpToVendorTcpAndBack() throws Exception {
        RecordingListener onTcp = new RecordingListener();
        Portal portal = tcp.listen(loopback(), onTcp);
        cleanups.add(portal::close);
        Socket s = connect(portal);
        Connection original = onTcp.nextConnection();
        assertEquals("tcp", original.transportKind());

        DetachedConnection leaving = detach(original);
        List<Connection> calledWith = new CopyOnWriteArrayList<>();
        RecordingListener onVendor = new RecordingListener().onPdu((c, p) -> calledWith.add(c));
        Connection moved = vendor.adopt(leaving, onVendor);
        assertEquals("vendor-tcp", moved.transportKind());
        assertTrue(moved.id().startsWith("vendor-tcp-"), moved.id());
        assertEquals(s.getLocalPort(), moved.remoteAddress().getPort(), "same TCP connection");
        exchange(s, moved, onVendor, 2);
        assertSame(moved, calledWith.get(0), "pduReceived got another object than adopt() returned");

        DetachedConnection returning = detach(moved);
        assertEquals("tcp", returning.wire());
        RecordingListener backOnTcp = new RecordingListener();
        Connection back = tcp.adopt(returning, backOnTcp);
        assertEquals("tcp", back.transportKind());
        exchange(s, back, backOnTcp, 4);

        s.close();
        backOnTcp.nextClose();
        assertEquals(0, onTcp.closedCalls(), "no closed() for a detached connection");
        assertEquals(0, onVendor.closedCalls(), "no closed() for a detached connection");
        for (RecordingListener l : List.of(onTcp, onVendor, backOnTcp)) {
            assertEquals(List.of(), l.violations());
        }
    }

    /** One PDU each way on {@code c}: the initiator's arrives, the target's reaches the initiator. */
    private static void exchange(Socket s, Connection c, RecordingListener events, int itt) throws Exception {
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(NOP_OUT, 0, 0, itt), null, false, false));
        Pdu in = events.nextPdu();
        assertEquals(itt, WireFrames.itt(headerOf(in)));
        in.release();
        c.sendAndFlush(new Pdu(ByteBuffer.wrap(WireFrames.header(NOP_IN, 0, 0, itt + 1)), null), null);
        assertEquals(itt + 1, WireFrames.itt(WireFrames.read(s.getInputStream(), false, false).header()));
    }

    private static DetachedConnection detach(Connection c) throws Exception {
        return c.detach().toCompletableFuture().get(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static byte[] headerOf(Pdu p) {
        byte[] header = new byte[p.header().remaining()];
        p.header().duplicate().get(header);
        return header;
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    private Socket connect(Portal portal) throws IOException {
        Socket s = new Socket();
        cleanups.add(s);
        s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(RecordingListener.WAIT_SECONDS));
        s.connect(portal.localAddress());
        return s;
    }
}
