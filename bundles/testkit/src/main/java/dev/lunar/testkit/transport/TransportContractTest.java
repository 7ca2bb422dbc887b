package dev.lunar.testkit.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.Portal;
import dev.lunar.spi.transport.SendCallback;
import dev.lunar.spi.transport.Transport;
import dev.lunar.spi.transport.TransportLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Transport} of wire {@code tcp} honours, checked from a plain
 * {@link java.net.Socket} playing the initiator (modelled on Netty's {@code SocketEchoTest}: one
 * abstract suite, one subclass per transport or mode). It frames and parses bytes itself with
 * {@link WireFrames} per RFC 7143 §11.2, so a transport cannot pass by agreeing with itself.
 *
 * <p>Every test ends with the leak check: {@link BufferLeakDetector#live()} is back where it
 * started once the transport is gone, so a data buffer released zero or two times fails the test
 * that caused it. Waits are bounded hang guards ({@link RecordingListener#WAIT_SECONDS}), never
 * timing assertions.
 *
 * <p>Subclasses provide {@link #createTransport()} and {@link #destroyTransport(Transport)}, and
 * override {@link #supportsDetach()} when the transport cannot hand connections over.
 */
public abstract class TransportContractTest {

    private static final int NOP_OUT = 0x00;
    private static final int SCSI_COMMAND = 0x01;
    private static final int DATA_OUT = 0x05;
    private static final int NOP_IN = 0x20;
    private static final int SCSI_RESPONSE = 0x21;
    private static final int DATA_IN = 0x25;

    /** Digests on, 64 KiB segments both ways: what a typical login negotiates. */
    protected static final ConnectionSettings DIGESTS =
            new ConnectionSettings(true, true, 65536, 65536);

    private final List<Transport> transports = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<AutoCloseable> cleanups = new ArrayList<>();
    private long liveBuffersAtStart;

    protected Transport transport;
    protected Portal portal;
    protected RecordingListener events;

    /** A new, started transport instance (one per test, and more for hand-over tests). */
    protected abstract Transport createTransport() throws Exception;

    /**
     * Stops a transport made by {@link #createTransport()}; must wait until its I/O has stopped and
     * be idempotent (the hand-over test stops the first transport before the test ends).
     */
    protected abstract void destroyTransport(Transport transport) throws Exception;

    /** Whether {@link Connection#detach()} and {@link Transport#adopt} are implemented. */
    protected boolean supportsDetach() {
        return true;
    }

    @BeforeEach
    final void startTransport() throws Exception {
        liveBuffersAtStart = BufferLeakDetector.live();
        transport = newTransport();
        events = new RecordingListener();
        portal = transport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), events);
    }

    @AfterEach
    final void stopTransportAndCheckLeaks() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        for (AutoCloseable c : cleanups) {
            c.close();
        }
        portal.close();
        for (Transport t : transports) {
            destroyTransport(t);
        }
        events.releaseAll();
        assertEquals(List.of(), events.violations(), "threading or ordering contract violations");
        long leaked = BufferLeakDetector.live() - liveBuffersAtStart;
        if (leaked != 0) {
            StringBuilder sb = new StringBuilder(leaked + " DataBuffer(s) not released (or released too often)");
            for (Throwable origin : BufferLeakDetector.liveOrigins()) {
                sb.append("\n  allocated at ").append(origin.getStackTrace().length > 2
                        ? origin.getStackTrace()[2] : origin);
            }
            fail(sb.toString());
        }
    }

    /** A further transport instance (destroyed after the test). */
    protected final Transport newTransport() throws Exception {
        Transport t = createTransport();
        transports.add(t);
        return t;
    }

    // ---------------------------------------------------------------- helpers

    /** Connects an initiator socket to the portal and returns it with the accepted connection. */
    protected final Socket connect() throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.setTcpNoDelay(true);
        s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(RecordingListener.WAIT_SECONDS));
        s.connect(portal.localAddress());
        return s;
    }

    private static Pdu pdu(int opcode, int ahsWords, byte[] data, int itt) {
        byte[] header = WireFrames.header(opcode, ahsWords, data == null ? 0 : data.length, itt);
        return new Pdu(ByteBuffer.wrap(header), data == null ? null : DataBuffers.wrap(data));
    }

    private static void assertPdu(Pdu pdu, int opcode, int ahsWords, byte[] data, int itt) {
        byte[] expectedHeader = WireFrames.header(opcode, ahsWords, data == null ? 0 : data.length, itt);
        byte[] header = new byte[pdu.header().remaining()];
        pdu.header().duplicate().get(header);
        assertArrayEquals(expectedHeader, header, "header of PDU " + itt);
        assertEquals(opcode, pdu.opcode());
        if (data == null || data.length == 0) {
            assertEquals(0, pdu.dataLength(), "data length of PDU " + itt);
        } else {
            assertNotNull(pdu.data(), "data of PDU " + itt);
            assertArrayEquals(data, pdu.data().toByteArray(), "data of PDU " + itt);
        }
    }

    /** Runs {@code task} on the connection's I/O thread and waits for it: orders the test after queued work. */
    private static void onIoThread(Connection c, Runnable task) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        c.executor().execute(() -> {
            try {
                task.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        done.get(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Asserts the peer closed the TCP connection (EOF or reset). */
    private static void assertPeerClosed(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            byte[] sink = new byte[4096];
            while (true) {
                int n = in.read(sink);
                if (n < 0) {
                    return;
                }
            }
        } catch (SocketException reset) {
            // RST instead of FIN is a close too.
        }
    }

    /**
     * Whether connecting to {@code address} is refused, allowing the listening socket a moment to
     * go: the JDK closes a selector-registered NIO channel's socket only at the selector's next
     * wake-up, after the close future completed, so a connect right away may still be queued.
     */
    private static boolean refusesConnections(InetSocketAddress address) throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (Socket probe = new Socket()) {
                probe.connect(address);
            } catch (ConnectException refused) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** A send callback that records how often and where it ran. */
    private static final class CallbackProbe implements SendCallback {
        final Connection connection;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger offIoThread = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicInteger freesSeenAtCallback = new AtomicInteger(-1);
        final AtomicInteger frees;

        CallbackProbe(Connection connection, AtomicInteger frees) {
            this.connection = connection;
            this.frees = frees;
        }

        @Override
        public void sent(Throwable f) {
            if (!connection.inIoThread()) {
                offIoThread.incrementAndGet();
            }
            freesSeenAtCallback.set(frees == null ? -1 : frees.get());
            failure.set(f);
            calls.incrementAndGet();
            done.countDown();
        }

        void await() throws InterruptedException {
            assertTrue(done.await(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS), "send callback never ran");
        }
    }

    // ---------------------------------------------------------------- metadata

    @Test
    void advertisesKindWireAndSaneLimits() {
        assertNotNull(transport.kind());
        assertEquals("tcp", transport.wire());
        TransportLimits limits = transport.limits();
        assertTrue(limits.maxRecvDataSegmentLength() >= 8192, "must receive at least the login limit");
        assertTrue(limits.maxRecvDataSegmentLength() <= (1 << 24) - 1, "RFC 7143 §13.12 bound");
        assertTrue(portal.localAddress().getPort() > 0, "portal reports the real port");
    }

    @Test
    void acceptedConnectionDescribesItself() throws Exception {
        Socket s1 = connect();
        Connection c1 = events.nextConnection();
        Socket s2 = connect();
        Connection c2 = events.nextConnection();
        assertNotEquals(c1.id(), c2.id(), "connection ids are unique");
        assertEquals(transport.kind(), c1.transportKind());
        assertEquals(s1.getLocalSocketAddress(), c1.remoteAddress());
        assertEquals(s1.getRemoteSocketAddress(), c1.localAddress());
        assertEquals(s2.getLocalPort(), c2.remoteAddress().getPort());
        assertEquals(ConnectionSettings.LOGIN, c1.settings(), "login settings until configured");
        assertFalse(c1.inIoThread(), "the test thread is not the I/O thread");
        AtomicReference<Boolean> inside = new AtomicReference<>();
        onIoThread(c1, () -> inside.set(c1.inIoThread()));
        assertTrue(inside.get(), "executor() runs on the I/O thread");
    }

    // ---------------------------------------------------------------- receive path

    @Test
    void deliversHeaderOnlyPdu() throws Exception {
        Socket s = connect();
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(NOP_OUT, 0, 0, 1), null, false, false));
        Pdu pdu = events.nextPdu();
        assertPdu(pdu, NOP_OUT, 0, null, 1);
        assertNull(pdu.data());
        assertFalse(pdu.dataDigestFailed());
    }

    @Test
    void deliversAhsAndPaddedDataSegment() throws Exception {
        Socket s = connect();
        byte[] data = WireFrames.data(5, 2);
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(SCSI_COMMAND, 2, 5, 2), data, false, false));
        // A second PDU right behind proves the padding was consumed, not taken as the next header.
        byte[] data2 = WireFrames.data(6, 3);
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(DATA_OUT, 0, 6, 3), data2, false, false));
        Pdu pdu = events.nextPdu();
        assertEquals(WireFrames.BHS + 8, pdu.header().remaining(), "BHS plus 2 words of AHS");
        assertPdu(pdu, SCSI_COMMAND, 2, data, 2);
        pdu.release();
        Pdu next = events.nextPdu();
        assertPdu(next, DATA_OUT, 0, data2, 3);
        next.release();
    }

    @Test
    void reassemblesPdusFromSingleByteWrites() throws Exception {
        Socket s = connect();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        int[] sizes = {1, 1000, 4096, 0, 8192};
        for (int i = 0; i < sizes.length; i++) {
            wire.writeBytes(WireFrames.frame(WireFrames.header(DATA_OUT, i % 2, sizes[i], 10 + i),
                    WireFrames.data(sizes[i], i), false, false));
        }
        OutputStream out = s.getOutputStream();
        byte[] bytes = wire.toByteArray();
        // Byte-by-byte for the headers' worth, then small chunks: every split point a header,
        // length field or padding can fall on is exercised.
        int i = 0;
        for (; i < 600; i++) {
            out.write(bytes[i]);
            out.flush();
        }
        for (; i < bytes.length; i += 97) {
            out.write(bytes, i, Math.min(97, bytes.length - i));
            out.flush();
        }
        // Hold every PDU while more traffic flows through the same connection: a transport that
        // hands out views of receive memory must keep that memory alive until the PDU is released.
        List<Pdu> held = new ArrayList<>();
        for (int k = 0; k < sizes.length; k++) {
            held.add(events.nextPdu());
        }
        for (int round = 0; round < 20; round++) {
            byte[] filler = WireFrames.frame(WireFrames.header(DATA_OUT, 0, 4000, 1000 + round),
                    WireFrames.data(4000, 50 + round), false, false);
            for (int off = 0; off < filler.length; off += 1500) {
                out.write(filler, off, Math.min(1500, filler.length - off));
                out.flush();
            }
            events.nextPdu().release();
        }
        for (int k = 0; k < sizes.length; k++) {
            Pdu pdu = held.get(k);
            assertPdu(pdu, DATA_OUT, k % 2, WireFrames.data(sizes[k], k), 10 + k);
            pdu.release();
        }
    }

    @Test
    void deliversManyPdusFromOneWriteInOrder() throws Exception {
        Socket s = connect();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        int count = 200;
        for (int i = 0; i < count; i++) {
            int size = (i * 37) % 301;
            wire.writeBytes(WireFrames.frame(WireFrames.header(SCSI_COMMAND, i % 3, size, i),
                    WireFrames.data(size, i), false, false));
        }
        s.getOutputStream().write(wire.toByteArray());
        for (int i = 0; i < count; i++) {
            Pdu pdu = events.nextPdu();
            assertPdu(pdu, SCSI_COMMAND, i % 3, WireFrames.data((i * 37) % 301, i), i);
            pdu.release();
        }
    }

    @Test
    void acceptsDataSegmentAtTheLoginLimit() throws Exception {
        Socket s = connect();
        byte[] data = WireFrames.data(8192, 9);
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(0x03, 0, 8192, 9), data, false, false));
        Pdu pdu = events.nextPdu();
        assertPdu(pdu, 0x03, 0, data, 9);
        pdu.release();
    }

    @Test
    void closesOnDataSegmentLengthAboveTheLimit() throws Exception {
        Socket s = connect();
        // Claims 16 MiB - 1 during login (limit 8192) and sends none of it: the transport must
        // close at once, not wait for or allocate the claimed bytes.
        s.getOutputStream().write(WireFrames.header(0x03, 0, (1 << 24) - 1, 4));
        Optional<Throwable> cause = events.nextClose();
        assertTrue(cause.isPresent(), "closed() names the framing error");
        assertPeerClosed(s);
        assertNull(events.pollPdu(0), "no PDU from a rejected frame");
        assertEquals(1, events.closedCalls());
    }

    @Test
    void closesOnDataSegmentOneAboveTheNegotiatedLimit() throws Exception {
        events.onAccepted(c -> c.configure(new ConnectionSettings(false, false, 4096, 8192)));
        Socket s = connect();
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(DATA_OUT, 0, 4096, 1),
                WireFrames.data(4096, 1), false, false));
        Pdu ok = events.nextPdu();
        assertEquals(4096, ok.dataLength());
        ok.release();
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(DATA_OUT, 0, 4097, 2),
                WireFrames.data(4097, 2), false, false));
        assertTrue(events.nextClose().isPresent());
        assertPeerClosed(s);
    }

    @Test
    void negotiatedSettingsApplyFromTheNextPduInEachDirection() throws Exception {
        // The login transition (RFC 7143 §6.2): the final Login Response goes without digests,
        // everything after it in both directions with them.
        events.onPdu((c, p) -> {
            if (WireFrames.itt(headerBytes(p)) == 1) {
                c.send(pdu(0x23, 0, WireFrames.data(10, 1), 1), null);
                c.configure(new ConnectionSettings(true, true, 65536, 65536));
                c.sendAndFlush(pdu(NOP_IN, 0, WireFrames.data(10, 2), 2), null);
            }
        });
        Socket s = connect();
        Connection c = events.nextConnection();
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(0x03, 0, 0, 1), null, false, false));
        WireFrames.Frame loginResponse = WireFrames.read(s.getInputStream(), false, false);
        assertEquals(1, WireFrames.itt(loginResponse.header()));
        assertArrayEquals(WireFrames.data(10, 1), loginResponse.data());
        WireFrames.Frame after = WireFrames.read(s.getInputStream(), true, true);
        assertEquals(2, WireFrames.itt(after.header()));
        assertArrayEquals(WireFrames.data(10, 2), after.data());

        byte[] big = WireFrames.data(20000, 3); // above the 8192 login limit: the new limit holds
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(SCSI_COMMAND, 1, big.length, 3), big, true, true));
        events.nextPdu().release();
        Pdu pdu = events.nextPdu();
        assertPdu(pdu, SCSI_COMMAND, 1, big, 3);
        assertFalse(pdu.dataDigestFailed());
        pdu.release();
        assertEquals(DIGESTS, c.settings());
    }

    private static byte[] headerBytes(Pdu p) {
        byte[] h = new byte[p.header().remaining()];
        p.header().duplicate().get(h);
        return h;
    }

    @Test
    void verifiesDigestsOnReceive() throws Exception {
        events.onAccepted(c -> c.configure(DIGESTS));
        Socket s = connect();
        byte[] data = WireFrames.data(1001, 5);
        OutputStream out = s.getOutputStream();
        out.write(WireFrames.frame(WireFrames.header(SCSI_COMMAND, 1, 1001, 5), data, true, true));
        out.write(WireFrames.frame(WireFrames.header(NOP_OUT, 0, 0, 6), null, true, true));
        Pdu pdu = events.nextPdu();
        assertPdu(pdu, SCSI_COMMAND, 1, data, 5);
        assertFalse(pdu.dataDigestFailed());
        pdu.release();
        Pdu nop = events.nextPdu();
        assertPdu(nop, NOP_OUT, 0, null, 6); // no data digest after an empty data segment
        assertEquals(0, events.closedCalls());
    }

    @Test
    void headerDigestErrorClosesTheConnection() throws Exception {
        events.onAccepted(c -> c.configure(DIGESTS));
        Socket s = connect();
        byte[] frame = WireFrames.frame(WireFrames.header(SCSI_COMMAND, 0, 4, 7), WireFrames.data(4, 7), true, true);
        frame[WireFrames.BHS] ^= 0x01; // corrupt the header digest
        s.getOutputStream().write(frame);
        Optional<Throwable> cause = events.nextClose();
        assertTrue(cause.isPresent(), "closed() says it was a digest error");
        assertPeerClosed(s);
        assertNull(events.pollPdu(0), "a PDU with a bad header is never delivered");
    }

    @Test
    void dataDigestErrorMarksThePduAndKeepsTheConnection() throws Exception {
        events.onAccepted(c -> c.configure(DIGESTS));
        Socket s = connect();
        byte[] data = WireFrames.data(64, 8);
        byte[] bad = WireFrames.frame(WireFrames.header(DATA_OUT, 0, 64, 8), data, true, true);
        bad[bad.length - 1] ^= 0x40; // corrupt the data digest
        OutputStream out = s.getOutputStream();
        out.write(bad);
        out.write(WireFrames.frame(WireFrames.header(DATA_OUT, 0, 64, 9), data, true, true));
        Pdu first = events.nextPdu();
        assertPdu(first, DATA_OUT, 0, data, 8);
        assertTrue(first.dataDigestFailed(), "the PDU is marked, not dropped");
        first.release();
        Pdu second = events.nextPdu();
        assertFalse(second.dataDigestFailed());
        second.release();
        assertEquals(0, events.closedCalls(), "a data digest error does not close the connection");
    }

    // ---------------------------------------------------------------- send path

    @Test
    void sendsExactFramesWithoutDigests() throws Exception {
        Socket s = connect();
        Connection c = events.nextConnection();
        c.send(pdu(SCSI_RESPONSE, 0, null, 1), null);
        c.send(pdu(DATA_IN, 1, WireFrames.data(5, 2), 2), null);
        c.sendAndFlush(pdu(DATA_IN, 0, WireFrames.data(8, 3), 3), null);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(WireFrames.frame(WireFrames.header(SCSI_RESPONSE, 0, 0, 1), null, false, false));
        expected.writeBytes(WireFrames.frame(WireFrames.header(DATA_IN, 1, 5, 2), WireFrames.data(5, 2), false, false));
        expected.writeBytes(WireFrames.frame(WireFrames.header(DATA_IN, 0, 8, 3), WireFrames.data(8, 3), false, false));
        byte[] wire = s.getInputStream().readNBytes(expected.size());
        assertArrayEquals(expected.toByteArray(), wire, "byte-exact frames, zero padding");
    }

    @Test
    void sendsExactFramesWithDigests() throws Exception {
        events.onAccepted(c -> c.configure(DIGESTS));
        Socket s = connect();
        Connection c = events.nextConnection();
        c.send(pdu(DATA_IN, 2, WireFrames.data(7, 1), 1), null);
        c.sendAndFlush(pdu(NOP_IN, 0, null, 2), null);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(WireFrames.frame(WireFrames.header(DATA_IN, 2, 7, 1), WireFrames.data(7, 1), true, true));
        expected.writeBytes(WireFrames.frame(WireFrames.header(NOP_IN, 0, 0, 2), null, true, true));
        byte[] wire = s.getInputStream().readNBytes(expected.size());
        assertArrayEquals(expected.toByteArray(), wire);
    }

    @Test
    void sendsScatteredBuffersAndRunsEachCallbackOnceAfterRelease() throws Exception {
        Socket s = connect();
        Connection c = events.nextConnection();
        c.configure(new ConnectionSettings(false, true, 65536, 65536));
        int count = 50;
        List<CallbackProbe> probes = new ArrayList<>();
        List<AtomicInteger> frees = new ArrayList<>();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            byte[] d = WireFrames.data(100 + i * 211, i);
            AtomicInteger freed = new AtomicInteger();
            // Three segments, heap and direct mixed: the transport must gather, not assume one array.
            ByteBuffer a = ByteBuffer.wrap(d, 0, d.length / 3);
            ByteBuffer b = ByteBuffer.allocateDirect(d.length / 3);
            b.put(d, d.length / 3, d.length / 3).flip();
            ByteBuffer rest = ByteBuffer.wrap(d, 2 * (d.length / 3), d.length - 2 * (d.length / 3));
            DataBuffer data = DataBuffers.wrap(freed::incrementAndGet, a, b, rest);
            byte[] header = WireFrames.header(DATA_IN, 0, d.length, i);
            CallbackProbe probe = new CallbackProbe(c, freed);
            probes.add(probe);
            frees.add(freed);
            c.send(new Pdu(ByteBuffer.wrap(header), data), probe);
            expected.writeBytes(WireFrames.frame(header, d, false, true));
        }
        c.flush();
        byte[] wire = s.getInputStream().readNBytes(expected.size());
        assertArrayEquals(expected.toByteArray(), wire);
        for (int i = 0; i < count; i++) {
            CallbackProbe p = probes.get(i);
            p.await();
            assertNull(p.failure.get());
        }
        onIoThread(c, () -> { }); // any late duplicate callback would have run by now
        for (int i = 0; i < count; i++) {
            CallbackProbe p = probes.get(i);
            assertEquals(1, p.calls.get(), "callback " + i + " runs exactly once");
            assertEquals(0, p.offIoThread.get(), "callback " + i + " runs on the I/O thread");
            assertEquals(1, p.freesSeenAtCallback.get(), "data " + i + " released before its callback");
            assertEquals(1, frees.get(i).get(), "data " + i + " released exactly once");
        }
    }

    @Test
    void sendsTaskBuffersFromTheConnectionsAllocator() throws Exception {
        Socket s = connect();
        Connection c = events.nextConnection();
        DataBuffer buf = c.allocator().allocate(3000);
        assertNotNull(buf);
        assertEquals(3000, buf.length());
        byte[] d = WireFrames.data(3000, 4);
        ByteBuffer[] views = buf.nioBuffers(0, 3000);
        int off = 0;
        for (ByteBuffer v : views) {
            int n = v.remaining();
            v.put(d, off, n);
            off += n;
        }
        CallbackProbe probe = new CallbackProbe(c, null);
        c.sendAndFlush(new Pdu(ByteBuffer.wrap(WireFrames.header(DATA_IN, 0, 3000, 4)), buf), probe);
        WireFrames.Frame f = WireFrames.read(s.getInputStream(), false, false);
        assertArrayEquals(d, f.data());
        probe.await();
        assertNull(probe.failure.get());
        assertEquals(0, buf.refCnt(), "the transport released the buffer it was given");
    }

    @Test
    void sendsFileRegionsWithAndWithoutDataDigest() throws Exception {
        Path file = Files.createTempFile("lunar-transport-contract", ".bin");
        cleanups.add(() -> Files.deleteIfExists(file));
        byte[] content = WireFrames.data(100_003, 11);
        Files.write(file, content);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        cleanups.add(0, channel);
        Socket s = connect();
        Connection c = events.nextConnection();
        c.configure(new ConnectionSettings(false, false, 65536, 65536));
        byte[] expectedData = java.util.Arrays.copyOfRange(content, 7, 7 + 50_001);

        AtomicInteger freed = new AtomicInteger();
        CallbackProbe plain = new CallbackProbe(c, freed);
        c.sendAndFlush(new Pdu(ByteBuffer.wrap(WireFrames.header(DATA_IN, 0, 50_001, 1)),
                DataBuffers.file(channel, 7, 50_001, freed::incrementAndGet)), plain);
        WireFrames.Frame f1 = WireFrames.read(s.getInputStream(), false, false);
        assertArrayEquals(expectedData, f1.data());
        plain.await();
        assertNull(plain.failure.get());
        assertEquals(1, freed.get());

        c.configure(DIGESTS);
        AtomicInteger freed2 = new AtomicInteger();
        CallbackProbe digested = new CallbackProbe(c, freed2);
        c.sendAndFlush(new Pdu(ByteBuffer.wrap(WireFrames.header(DATA_IN, 0, 50_001, 2)),
                DataBuffers.file(channel, 7, 50_001, freed2::incrementAndGet)), digested);
        WireFrames.Frame f2 = WireFrames.read(s.getInputStream(), true, true);
        assertArrayEquals(expectedData, f2.data());
        digested.await();
        assertNull(digested.failure.get());
        assertEquals(1, freed2.get());
        assertTrue(channel.isOpen(), "the transport never closes the backend's file channel");
    }

    @Test
    void refusesOversizedSendButKeepsTheConnection() throws Exception {
        Socket s = connect();
        Connection c = events.nextConnection();
        AtomicInteger freed = new AtomicInteger();
        CallbackProbe tooBig = new CallbackProbe(c, freed);
        // Login settings: the initiator accepts 8192 bytes; 8193 must not reach the wire.
        c.sendAndFlush(new Pdu(ByteBuffer.wrap(WireFrames.header(DATA_IN, 0, 8193, 1)),
                DataBuffers.wrap(freed::incrementAndGet, ByteBuffer.allocate(8193))), tooBig);
        tooBig.await();
        assertNotNull(tooBig.failure.get(), "an oversized send fails its callback");
        assertEquals(1, freed.get());
        c.sendAndFlush(pdu(NOP_IN, 0, WireFrames.data(8, 2), 2), null);
        WireFrames.Frame f = WireFrames.read(s.getInputStream(), false, false);
        assertEquals(2, WireFrames.itt(f.header()), "nothing of the refused PDU was written");
    }

    @Test
    void sendAfterCloseFailsItsCallbackAndReleasesTheData() throws Exception {
        Socket s = connect();
        Connection c = events.nextConnection();
        c.close(false);
        assertFalse(events.nextClose().isPresent(), "a local close is not an error");
        AtomicInteger freed = new AtomicInteger();
        CallbackProbe probe = new CallbackProbe(c, freed);
        c.sendAndFlush(new Pdu(ByteBuffer.wrap(WireFrames.header(DATA_IN, 0, 16, 1)),
                DataBuffers.wrap(freed::incrementAndGet, ByteBuffer.allocate(16))), probe);
        probe.await();
        assertNotNull(probe.failure.get());
        assertEquals(1, freed.get());
        assertPeerClosed(s);
    }

    // ---------------------------------------------------------------- lifecycle

    @Test
    void peerCloseIsReportedExactlyOnce() throws Exception {
        Socket s = connect();
        Connection c = events.nextConnection();
        s.close();
        events.nextClose();
        c.close(true);
        c.close(false);
        onIoThread(c, () -> { });
        onIoThread(c, () -> { });
        assertEquals(1, events.closedCalls(), "closed() exactly once, close() idempotent");
    }

    @Test
    void gracefulCloseFlushesQueuedPdus() throws Exception {
        Socket s = connect();
        Connection c = events.nextConnection();
        byte[] data = WireFrames.data(5000, 1);
        c.send(pdu(DATA_IN, 0, data, 1), null); // queued, not flushed
        c.close(true);
        WireFrames.Frame f = WireFrames.read(s.getInputStream(), false, false);
        assertArrayEquals(data, f.data());
        assertPeerClosed(s);
        assertFalse(events.nextClose().isPresent());
    }

    @Test
    void portalCloseKeepsAcceptedConnections() throws Exception {
        Socket s = connect();
        events.nextConnection();
        InetSocketAddress address = portal.localAddress();
        portal.close();
        portal.close(); // idempotent
        assertTrue(refusesConnections(address), "a closed portal refuses new connections");
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(NOP_OUT, 0, 0, 1), null, false, false));
        assertPdu(events.nextPdu(), NOP_OUT, 0, null, 1);
    }

    @Test
    void setReadingFalseHoldsDeliveryUntilResumed() throws Exception {
        Socket s = connect();
        Connection c = events.nextConnection();
        c.setReading(false);
        onIoThread(c, () -> { });
        s.getOutputStream().write(WireFrames.frame(WireFrames.header(NOP_OUT, 0, 0, 1), null, false, false));
        // Can only pass falsely (if delivery were slow), never fail falsely.
        assertNull(events.pollPdu(200), "no PDU while reading is off");
        c.setReading(true);
        assertPdu(events.nextPdu(), NOP_OUT, 0, null, 1);
    }

    // ---------------------------------------------------------------- hand-over (DESIGN.md §3.5)

    @Test
    void detachAndAdoptKeepTheTcpConnectionAndItsUnreadBytes() throws Exception {
        assumeTrue(supportsDetach(), "transport does not detach");
        CompletableFuture<DetachedConnection> detached = new CompletableFuture<>();
        // Detach from inside pduReceived of PDU 1, as the iscsi bundle quiesces at a PDU boundary.
        events.onAccepted(c -> c.configure(DIGESTS)).onPdu((c, p) -> {
            if (WireFrames.itt(headerBytes(p)) == 1) {
                c.send(pdu(NOP_IN, 0, WireFrames.data(3, 1), 1), null); // queued: must drain first
                c.detach().whenComplete((d, e) -> {
                    if (e != null) {
                        detached.completeExceptionally(e);
                    } else {
                        detached.complete(d);
                    }
                });
            }
        });
        Socket s = connect();
        int clientPort = s.getLocalPort();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(WireFrames.frame(WireFrames.header(SCSI_COMMAND, 0, 10, 1), WireFrames.data(10, 1), true, true));
        wire.writeBytes(WireFrames.frame(WireFrames.header(SCSI_COMMAND, 0, 10, 2), WireFrames.data(10, 2), true, true));
        byte[] third = WireFrames.frame(WireFrames.header(DATA_OUT, 1, 777, 3), WireFrames.data(777, 3), true, true);
        wire.write(third, 0, 30); // half a header: must survive the hand-over
        s.getOutputStream().write(wire.toByteArray());

        Pdu p1 = events.nextPdu();
        assertPdu(p1, SCSI_COMMAND, 0, WireFrames.data(10, 1), 1);
        p1.release();
        DetachedConnection d;
        try {
            d = detached.get(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("detach failed", e.getCause());
        }
        WireFrames.Frame queued = WireFrames.read(s.getInputStream(), true, true);
        assertEquals(1, WireFrames.itt(queued.header()), "queued send went out before the detach completed");
        assertEquals("tcp", d.wire());
        assertEquals(DIGESTS, d.settings());
        assertTrue(d.unread().remaining() <= wire.size(), "unread is at most what was sent");

        // The hot-swap order (DESIGN.md §3.5): the old transport goes away before the new one
        // adopts; the socket must not depend on anything of the old instance.
        destroyTransport(transport);
        Transport successor = newTransport();
        RecordingListener after = new RecordingListener();
        Connection adopted = successor.adopt(d, after);
        s.getOutputStream().write(third, 30, third.length - 30);
        Pdu p2 = after.nextPdu();
        assertPdu(p2, SCSI_COMMAND, 0, WireFrames.data(10, 2), 2);
        p2.release();
        Pdu p3 = after.nextPdu();
        assertPdu(p3, DATA_OUT, 1, WireFrames.data(777, 3), 3);
        p3.release();
        assertEquals(clientPort, adopted.remoteAddress().getPort(), "same TCP connection");
        assertEquals(DIGESTS, adopted.settings());

        adopted.sendAndFlush(pdu(NOP_IN, 0, WireFrames.data(9, 4), 4), null);
        WireFrames.Frame reply = WireFrames.read(s.getInputStream(), true, true);
        assertEquals(4, WireFrames.itt(reply.header()));
        assertEquals(0, events.closedCalls(), "no closed() for a detached connection");
        d.close(); // no effect once adopted
        adopted.sendAndFlush(pdu(NOP_IN, 0, null, 5), null);
        assertEquals(5, WireFrames.itt(WireFrames.read(s.getInputStream(), true, true).header()));
        s.close();
        after.nextClose();
        after.releaseAll();
        assertEquals(List.of(), after.violations());
        assertEquals(0, events.closedCalls());
    }

    @Test
    void detachWaitsForQueuedSendsTheInitiatorHasNotReadYet() throws Exception {
        assumeTrue(supportsDetach(), "transport does not detach");
        events.onAccepted(c -> c.configure(DIGESTS));
        Socket s = connect();
        Connection c = events.nextConnection();
        // More than socket buffers hold: the writes cannot complete until the initiator reads.
        int count = 64;
        List<CallbackProbe> probes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            CallbackProbe probe = new CallbackProbe(c, null);
            probes.add(probe);
            c.send(pdu(DATA_IN, 0, WireFrames.data(65536, i), i), probe);
        }
        c.flush();
        CompletableFuture<DetachedConnection> detaching = c.detach().toCompletableFuture();
        for (int i = 0; i < count; i++) {
            WireFrames.Frame f = WireFrames.read(s.getInputStream(), true, true);
            assertEquals(i, WireFrames.itt(f.header()));
            assertArrayEquals(WireFrames.data(65536, i), f.data());
        }
        DetachedConnection d = detaching.get(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
        for (CallbackProbe probe : probes) {
            assertEquals(1, probe.calls.get(), "every queued send completed before the detach did");
            assertNull(probe.failure.get());
        }
        RecordingListener after = new RecordingListener();
        Connection adopted = newTransport().adopt(d, after);
        adopted.sendAndFlush(pdu(NOP_IN, 0, null, 99), null);
        assertEquals(99, WireFrames.itt(WireFrames.read(s.getInputStream(), true, true).header()));
        adopted.close(false);
        after.nextClose();
    }

    @Test
    void connectionSurvivesRepeatedHandOvers() throws Exception {
        assumeTrue(supportsDetach(), "transport does not detach");
        events.onAccepted(c -> c.configure(DIGESTS));
        Socket s = connect();
        Connection current = events.nextConnection();
        int clientPort = s.getLocalPort();
        Transport owner = transport;
        for (int round = 0; round < 6; round++) {
            DetachedConnection d = current.detach().toCompletableFuture()
                    .get(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
            if (owner != transport) {
                destroyTransport(owner); // the previous successor goes, as in a bundle update
            }
            owner = newTransport();
            RecordingListener next = new RecordingListener();
            current = owner.adopt(d, next);
            assertEquals(clientPort, current.remoteAddress().getPort());
            byte[] data = WireFrames.data(1000 + round, round);
            s.getOutputStream().write(WireFrames.frame(WireFrames.header(DATA_OUT, 0, data.length, round), data, true, true));
            Pdu p = next.nextPdu();
            assertPdu(p, DATA_OUT, 0, data, round);
            p.release();
            current.sendAndFlush(pdu(DATA_IN, 0, data, round), null);
            WireFrames.Frame echoed = WireFrames.read(s.getInputStream(), true, true);
            assertArrayEquals(data, echoed.data());
            assertEquals(List.of(), next.violations());
        }
        assertEquals(0, events.closedCalls());
    }

    @Test
    void reassemblesARandomlySplitStreamWithDigests() throws Exception {
        events.onAccepted(c -> c.configure(DIGESTS));
        Socket s = connect();
        java.util.Random random = new java.util.Random(7143);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        int count = 300;
        int[] sizes = new int[count];
        for (int i = 0; i < count; i++) {
            sizes[i] = random.nextInt(4) == 0 ? 0 : random.nextInt(9000);
            wire.writeBytes(WireFrames.frame(WireFrames.header(DATA_OUT, i % 4, sizes[i], i),
                    WireFrames.data(sizes[i], i), true, true));
        }
        byte[] bytes = wire.toByteArray();
        OutputStream out = s.getOutputStream();
        for (int off = 0; off < bytes.length;) {
            int n = Math.min(bytes.length - off, 1 + random.nextInt(random.nextBoolean() ? 7 : 20000));
            out.write(bytes, off, n);
            out.flush();
            off += n;
        }
        for (int i = 0; i < count; i++) {
            Pdu pdu = events.nextPdu();
            assertPdu(pdu, DATA_OUT, i % 4, WireFrames.data(sizes[i], i), i);
            assertFalse(pdu.dataDigestFailed(), "PDU " + i);
            pdu.release();
        }
    }

    @Test
    void detachedConnectionNobodyAdoptsCanBeClosed() throws Exception {
        assumeTrue(supportsDetach(), "transport does not detach");
        Socket s = connect();
        Connection c = events.nextConnection();
        DetachedConnection d = c.detach().toCompletableFuture().get(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(0, d.unread().remaining());
        d.close();
        d.close();
        assertPeerClosed(s);
        CallbackProbe probe = new CallbackProbe(c, null);
        c.sendAndFlush(pdu(NOP_IN, 0, null, 1), probe);
        probe.await();
        assertNotNull(probe.failure.get(), "a detached connection refuses sends");
        assertEquals(0, events.closedCalls(), "no closed() for a detached connection");
    }

    @Test
    void detachTwiceFailsTheSecondTime() throws Exception {
        assumeTrue(supportsDetach(), "transport does not detach");
        connect();
        Connection c = events.nextConnection();
        CompletableFuture<DetachedConnection> first = c.detach().toCompletableFuture();
        CompletableFuture<DetachedConnection> second = c.detach().toCompletableFuture();
        DetachedConnection d = first.get(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
        assertThrows(ExecutionException.class, () -> second.get(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS));
        d.close();
    }
}
