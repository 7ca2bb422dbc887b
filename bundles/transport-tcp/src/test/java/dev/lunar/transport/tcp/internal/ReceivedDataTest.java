package dev.lunar.transport.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.testkit.transport.RecordingListener;
import dev.lunar.testkit.transport.WireFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A data segment that lies in one socket read buffer is handed up as a {@link ReceivedData} over
 * that buffer: same memory, one reference held until the PDU is released.
 */
class ReceivedDataTest {

    private final TcpTransport transport = new TcpTransport(new TcpTransport.Options(1, false, 262144, 1 << 20));
    private final EmbeddedChannel channel = new EmbeddedChannel(false, false);
    private final RecordingListener events = new RecordingListener()
            .onAccepted(c -> c.configure(new ConnectionSettings(false, false, 262144, 262144)));
    private long liveAtStart;

    @BeforeEach
    void setUp() throws Exception {
        liveAtStart = BufferLeakDetector.live();
        TcpConnection.accepted(transport, channel, events);
        channel.register();
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        transport.deactivate();
        assertEquals(liveAtStart, BufferLeakDetector.live(), "DataBuffers leaked");
    }

    @Test
    void segmentInOneReadIsAViewOfThatReadHeldUntilThePduIsReleased() throws Exception {
        byte[] data = WireFrames.data(4096, 5);
        byte[] frame = WireFrames.frame(WireFrames.header(0x05, 0, data.length, 9), data, false, false);
        ByteBuf in = Unpooled.directBuffer(frame.length).writeBytes(frame);
        channel.writeInbound(in);
        Pdu pdu = events.nextPdu();
        ReceivedData received = assertInstanceOf(ReceivedData.class, pdu.data());
        assertEquals(1, in.refCnt(), "the framer let go of the read; the PDU's data holds it");
        ByteBuffer[] views = received.nioBuffers(0, 4096);
        assertEquals(1, views.length);
        assertEquals(in.memoryAddress() + Pdu.BHS_LENGTH, PlatformDependent.directBufferAddress(views[0]),
                "no copy: the view is the read buffer's memory behind the header");
        assertArrayEquals(data, received.toByteArray());
        ByteBuffer part = ByteBuffer.allocate(10);
        received.copyTo(100, part);
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 100, 110), part.array());
        assertEquals(16, received.nioBuffers(4080, 16)[0].remaining());
        assertThrows(IndexOutOfBoundsException.class, () -> received.nioBuffers(4090, 7));
        assertThrows(IndexOutOfBoundsException.class, () -> received.copyTo(-1, ByteBuffer.allocate(1)));
        pdu.release();
        assertEquals(0, in.refCnt(), "released with the PDU");
    }

    @Test
    void segmentInTheSecondOfTwoReadsHoldsOnlyThatRead() throws Exception {
        byte[] first = WireFrames.frame(WireFrames.header(0x00, 0, 0, 1), null, false, false);
        byte[] data = WireFrames.data(512, 3);
        byte[] second = WireFrames.frame(WireFrames.header(0x05, 0, data.length, 2), data, false, false);
        // The first read ends 10 bytes into the second frame: the cumulation becomes a composite.
        ByteBuf a = Unpooled.directBuffer().writeBytes(first).writeBytes(second, 0, 10);
        ByteBuf b = Unpooled.directBuffer().writeBytes(second, 10, second.length - 10);
        channel.writeInbound(a);
        events.nextPdu().release();
        channel.writeInbound(b);
        Pdu pdu = events.nextPdu();
        assertInstanceOf(ReceivedData.class, pdu.data());
        assertEquals(0, a.refCnt(), "the first read is not held by the second frame's data");
        assertEquals(1, b.refCnt());
        assertArrayEquals(data, pdu.data().toByteArray());
        pdu.release();
        assertEquals(0, b.refCnt());
    }
}
