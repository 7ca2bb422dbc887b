package dev.lunar.transport.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.testkit.transport.WireFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Flushes the engine asks for while the PDUs of one socket read are delivered are done once, when
 * the read ends: one gathering write per burst instead of one per answered command. Outside a
 * read burst a flush goes at once.
 */
class ReadBurstFlushTest {

    private final TcpTransport transport = new TcpTransport(new TcpTransport.Options(1, false, 262144, 1 << 20));
    private final EmbeddedChannel channel = new EmbeddedChannel(false, false);
    private final List<Integer> outboundSeenAtFlush = new ArrayList<>();
    private final List<Integer> unflushedAfterEachFlushCall = new ArrayList<>();
    private TcpConnection connection;
    private long liveAtStart;

    @BeforeEach
    void setUp() throws Exception {
        liveAtStart = BufferLeakDetector.live();
        ConnectionListener answering = new ConnectionListener() {
            @Override
            public void pduReceived(Connection c, Pdu pdu) {
                // What the engine does per command: answer (a NOP-In here) and flush.
                int itt = pdu.header().getInt(16);
                pdu.release();
                ByteBuffer h = ByteBuffer.allocate(Pdu.BHS_LENGTH);
                h.put(0, (byte) 0x20).put(1, (byte) 0x80).putInt(16, itt);
                c.send(new Pdu(h, null), null);
                c.flush();
                unflushedAfterEachFlushCall.add(channel.outboundMessages().size());
            }

            @Override
            public void closed(Connection c, Throwable cause) {
                // nothing to record
            }
        };
        connection = TcpConnection.accepted(transport, channel, c -> answering);
        channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                ctx.flush();
                outboundSeenAtFlush.add(channel.outboundMessages().size());
            }
        });
        channel.register();
    }

    @AfterEach
    void tearDown() {
        Object m;
        while ((m = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(m);
        }
        channel.finishAndReleaseAll();
        transport.deactivate();
        assertEquals(liveAtStart, BufferLeakDetector.live(), "DataBuffers leaked");
    }

    private static ByteBuf nopOuts(int... itts) {
        ByteBuf in = Unpooled.directBuffer();
        for (int itt : itts) {
            in.writeBytes(WireFrames.frame(WireFrames.header(0x00, 0, 0, itt), null, false, false));
        }
        return in;
    }

    @Test
    void flushesDuringOneReadBecomeOneFlushAtItsEnd() {
        channel.writeInbound(nopOuts(1, 2, 3));
        assertEquals(List.of(0, 0, 0), unflushedAfterEachFlushCall,
                "nothing reaches the wire while the read burst is still being delivered");
        assertEquals(1, outboundSeenAtFlush.size(), "one flush for the burst: " + outboundSeenAtFlush);
        // The frame is head + nothing else for a PDU without data: one message per answer.
        assertEquals(3, channel.outboundMessages().size(), "all three answers went in that flush");
    }

    @Test
    void eachReadBurstEndsWithItsOwnFlush() {
        channel.writeInbound(nopOuts(1));
        channel.writeInbound(nopOuts(2, 3));
        assertEquals(List.of(1, 3), outboundSeenAtFlush);
    }

    @Test
    void flushOutsideAReadBurstGoesAtOnce() {
        ByteBuffer h = ByteBuffer.allocate(Pdu.BHS_LENGTH);
        h.put(0, (byte) 0x20).put(1, (byte) 0x80);
        connection.send(new Pdu(h, null), null);
        assertTrue(channel.outboundMessages().isEmpty(), "send alone does not flush");
        connection.flush();
        assertEquals(List.of(1), outboundSeenAtFlush);
    }
}
