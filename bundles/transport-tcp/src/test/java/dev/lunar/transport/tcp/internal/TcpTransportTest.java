package dev.lunar.transport.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.Portal;
import dev.lunar.testkit.transport.RecordingListener;
import dev.lunar.testkit.transport.WireFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What is specific to the TCP transport beyond the shared contract. */
class TcpTransportTest {

    private long liveAtStart;

    @BeforeEach
    void recordLive() {
        liveAtStart = BufferLeakDetector.live();
    }

    @AfterEach
    void checkLeaks() {
        assertEquals(liveAtStart, BufferLeakDetector.live(), "DataBuffers leaked");
    }

    private static TcpTransport nio() {
        return new TcpTransport(new TcpTransport.Options(1, false, 262144, 1 << 20));
    }

    @Test
    void allocatorRefusesBeyondItsBudgetAndRecoversOnRelease() {
        TcpTransport t = nio();
        try {
            DataBuffer a = t.allocator().allocate(600 << 10);
            assertNotNull(a);
            assertTrue(a.nioBuffers(0, a.length())[0].isDirect(), "task buffers are direct memory");
            assertNull(t.allocator().allocate(600 << 10), "1 MiB budget: the second 600 KiB does not fit");
            a.release();
            assertEquals(0, t.bufferMemoryInUse());
            DataBuffer b = t.allocator().allocate(600 << 10);
            assertNotNull(b, "released memory is available again");
            b.release();
        } finally {
            t.deactivate();
        }
    }

    @Test
    void limitsFollowTheConfiguration() {
        TcpTransport t = new TcpTransport(new TcpTransport.Options(1, false, 65536, 1 << 20));
        try {
            assertEquals(65536, t.limits().maxRecvDataSegmentLength());
            assertEquals((1 << 24) - 1, t.limits().maxSendDataSegmentLength());
            assertTrue(t.limits().zeroCopySend());
        } finally {
            t.deactivate();
        }
        assertThrows(IllegalArgumentException.class, () -> new TcpTransport.Options(1, false, 1 << 24, 1));
        assertThrows(IllegalArgumentException.class, () -> new TcpTransport.Options(-1, false, 8192, 1));
    }

    @Test
    void deactivateIsIdempotentAndRefusesNewPortals() throws Exception {
        TcpTransport t = nio();
        t.deactivate();
        t.deactivate();
        assertThrows(IOException.class,
                () -> t.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new RecordingListener()));
    }

    /**
     * Zero copy on receive: a data segment larger than any single socket read arrives as views of
     * the direct buffers Netty read into — several segments, none on the heap — not merged.
     */
    @Test
    void largeDataSegmentIsDeliveredAsViewsOfReceiveMemory() throws Exception {
        TcpTransport t = nio();
        RecordingListener events = new RecordingListener()
                .onAccepted(c -> c.configure(new ConnectionSettings(false, false, 262144, 262144)));
        try (Portal portal = t.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), events);
                Socket s = new Socket()) {
            s.connect(portal.localAddress());
            byte[] data = WireFrames.data(200_000, 1);
            s.getOutputStream().write(WireFrames.frame(WireFrames.header(0x05, 0, data.length, 1), data, false, false));
            Pdu pdu = events.nextPdu();
            try {
                ByteBuffer[] views = pdu.data().nioBuffers(0, pdu.dataLength());
                assertTrue(views.length > 1, "a frame spanning reads is not merged (" + views.length + " segment)");
                for (ByteBuffer v : views) {
                    assertTrue(v.isDirect(), "received data stays in Netty's direct read buffers");
                }
                assertEquals(java.util.Arrays.hashCode(data), java.util.Arrays.hashCode(pdu.data().toByteArray()));
            } finally {
                pdu.release();
            }
        } finally {
            t.deactivate();
        }
    }

    /**
     * A PDU whose data spans several socket reads holds each of those read buffers until it is
     * released, even while the framer discards consumed parts of its cumulation for later frames.
     */
    @Test
    void heldPduKeepsItsReceiveBuffersAlive() throws Exception {
        TcpTransport t = nio();
        EmbeddedChannel channel = new EmbeddedChannel(false, false);
        try {
            RecordingListener events = new RecordingListener();
            TcpConnection.accepted(t, channel, events);
            channel.register();
            byte[] data = WireFrames.data(3000, 1);
            byte[] first = WireFrames.frame(WireFrames.header(0x05, 0, 3000, 1), data, false, false);
            byte[] second = WireFrames.frame(WireFrames.header(0x00, 0, 0, 2), null, false, false);
            ByteBuf a = Unpooled.directBuffer().writeBytes(first, 0, 1000);
            ByteBuf b = Unpooled.directBuffer().writeBytes(first, 1000, 1000);
            // c ends the first frame and starts the second: the cumulation survives, minus a and b.
            ByteBuf c = Unpooled.directBuffer().writeBytes(first, 2000, first.length - 2000).writeBytes(second, 0, 10);
            channel.writeInbound(a);
            channel.writeInbound(b);
            channel.writeInbound(c);
            Pdu pdu = events.nextPdu();
            channel.writeInbound(Unpooled.directBuffer().writeBytes(second, 10, second.length - 10));
            events.nextPdu().release();
            assertTrue(a.refCnt() > 0 && b.refCnt() > 0, "read buffers behind a held PDU stay allocated");
            assertEquals(java.util.Arrays.hashCode(data), java.util.Arrays.hashCode(pdu.data().toByteArray()));
            pdu.release();
            assertEquals(0, a.refCnt(), "released with the PDU");
            assertEquals(0, b.refCnt(), "released with the PDU");
        } finally {
            channel.finishAndReleaseAll();
            t.deactivate();
        }
    }

    /** A listener that throws loses its connection (with the exception as cause), not the I/O thread. */
    @Test
    void listenerExceptionClosesTheConnection() throws Exception {
        TcpTransport t = nio();
        RecordingListener events = new RecordingListener().onPdu((c, p) -> {
            p.release();
            throw new IllegalStateException("engine bug");
        });
        try (Portal portal = t.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), events);
                Socket s = new Socket()) {
            s.setSoTimeout(20_000);
            s.connect(portal.localAddress());
            s.getOutputStream().write(WireFrames.frame(WireFrames.header(0x00, 0, 0, 1), null, false, false));
            Throwable cause = events.nextClose().orElseThrow();
            assertEquals("engine bug", cause.getMessage());
            assertPeerClosed(s.getInputStream());
        } finally {
            t.deactivate();
        }
    }

    /** A handler that returns no listener refuses the connection. */
    @Test
    void handlerReturningNullRefusesTheConnection() throws Exception {
        TcpTransport t = nio();
        try (Portal portal = t.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), c -> null);
                Socket s = new Socket()) {
            s.setSoTimeout(20_000);
            s.connect(portal.localAddress());
            assertPeerClosed(s.getInputStream());
        } finally {
            t.deactivate();
        }
    }

    /** Re-adoption by the same instance (same selector or epoll set) works in both modes. */
    @Test
    void sameTransportCanReadoptItsOwnDetachedConnection() throws Exception {
        for (boolean epoll : new boolean[] {false, true}) {
            if (epoll && !Epoll.isAvailable()) {
                continue;
            }
            TcpTransport t = new TcpTransport(new TcpTransport.Options(1, epoll, 262144, 1 << 20));
            RecordingListener events = new RecordingListener();
            try (Portal portal = t.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), events);
                    Socket s = new Socket()) {
                s.setSoTimeout(20_000);
                s.connect(portal.localAddress());
                Connection c = events.nextConnection();
                for (int round = 0; round < 3; round++) {
                    DetachedConnection d = c.detach().toCompletableFuture().get(20, TimeUnit.SECONDS);
                    RecordingListener next = new RecordingListener();
                    c = t.adopt(d, next);
                    s.getOutputStream().write(WireFrames.frame(WireFrames.header(0x00, 0, 0, round), null, false, false));
                    assertEquals(round, WireFrames.itt(headerOf(next.nextPdu())), t.mode().name());
                }
            } finally {
                t.deactivate();
            }
        }
    }

    /**
     * A detached connection that is not this class's own (another bundle revision after an update,
     * or a vendor transport embedding this code: a different class loader, so no instanceof) is
     * still marked adopted: closing it afterwards, as an owner cleaning up would, leaves the live
     * socket to its adopter.
     */
    @Test
    void closingAForeignDetachedConnectionAfterAdoptionLeavesTheSocketLive() throws Exception {
        for (boolean epoll : new boolean[] {false, true}) {
            if (epoll && !Epoll.isAvailable()) {
                continue;
            }
            TcpTransport t = new TcpTransport(new TcpTransport.Options(1, epoll, 262144, 1 << 20));
            RecordingListener events = new RecordingListener();
            try (Portal portal = t.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), events);
                    Socket s = new Socket()) {
                s.setSoTimeout(20_000);
                s.connect(portal.localAddress());
                Connection c = events.nextConnection();
                DetachedConnection foreign = new ForwardingDetachedConnection(
                        c.detach().toCompletableFuture().get(20, TimeUnit.SECONDS));
                RecordingListener next = new RecordingListener();
                Connection adopted = t.adopt(foreign, next);
                foreign.close();
                s.getOutputStream().write(WireFrames.frame(WireFrames.header(0x00, 0, 0, 41), null, false, false));
                assertEquals(41, WireFrames.itt(headerOf(next.nextPdu())), t.mode().name());
                assertTrue(t.connections().contains(adopted), t.mode().name());
            } finally {
                t.deactivate();
            }
        }
    }

    /** A DetachedConnection of another class (as one from another class loader is). */
    private record ForwardingDetachedConnection(DetachedConnection inner) implements DetachedConnection {
        @Override
        public String wire() {
            return inner.wire();
        }

        @Override
        public ConnectionSettings settings() {
            return inner.settings();
        }

        @Override
        public ByteBuffer unread() {
            return inner.unread();
        }

        @Override
        public <T> java.util.Optional<T> endpoint(Class<T> type) {
            return inner.endpoint(type);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /**
     * A detached connection survives its transport's deactivate (the iscsi bundle parks it while
     * the bundle updates) and, when nobody adopts it, close() really closes the socket in both
     * modes: the peer sees end of stream.
     */
    @Test
    void detachedConnectionOutlivesItsTransportAndClosesWhenNobodyAdoptsIt() throws Exception {
        for (boolean epoll : new boolean[] {false, true}) {
            if (epoll && !Epoll.isAvailable()) {
                continue;
            }
            TcpTransport t = new TcpTransport(new TcpTransport.Options(1, epoll, 262144, 1 << 20));
            RecordingListener events = new RecordingListener();
            DetachedConnection d;
            try (Portal portal = t.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), events);
                    Socket s = new Socket()) {
                s.setSoTimeout(20_000);
                s.connect(portal.localAddress());
                Connection c = events.nextConnection();
                d = c.detach().toCompletableFuture().get(20, TimeUnit.SECONDS);
                t.deactivate();
                assertTrue(t.connections().isEmpty(), "a detached connection is not the transport's any more");
                d.close();
                d.close();
                assertPeerClosed(s.getInputStream());
            } finally {
                t.deactivate();
            }
        }
    }

    private static byte[] headerOf(Pdu pdu) {
        byte[] h = new byte[pdu.header().remaining()];
        pdu.header().duplicate().get(h);
        pdu.release();
        return h;
    }

    /** A NIO-detached socket cannot become an epoll channel (no fd in the JDK API): refused and closed. */
    @Test
    void adoptAcrossIoModesIsRefusedAndClosesTheSocket() throws Exception {
        assumeTrue(Epoll.isAvailable(), "needs native epoll");
        TcpTransport from = nio();
        TcpTransport to = new TcpTransport(new TcpTransport.Options(1, true, 262144, 1 << 20));
        RecordingListener events = new RecordingListener();
        try (Portal portal = from.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), events);
                Socket s = new Socket()) {
            s.setSoTimeout(20_000);
            s.connect(portal.localAddress());
            Connection c = events.nextConnection();
            DetachedConnection d = c.detach().toCompletableFuture().get(20, TimeUnit.SECONDS);
            IOException refused = assertThrows(IOException.class, () -> to.adopt(d, new RecordingListener()));
            assertTrue(refused.getMessage().contains("SocketChannel"), refused.getMessage());
            assertPeerClosed(s.getInputStream());
        } finally {
            from.deactivate();
            to.deactivate();
        }
    }

    private static void assertPeerClosed(InputStream in) throws IOException {
        try {
            while (in.read() >= 0) {
                // drain
            }
        } catch (SocketException reset) {
            // a reset is a close too
        }
    }
}
