package dev.lunar.transport.tcp.internal;

import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.DataInPdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.ScsiCommandPdu;
import dev.lunar.pdu.ScsiResponsePdu;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.SendCallback;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The TCP transport's share of one I/O, between the socket and the iscsi bundle: framing a SCSI
 * Command out of a pooled read buffer ({@link PduFrameDecoder} to the listener), and sending the
 * Data-In and SCSI Response a read produces ({@link TcpConnection#send} through {@link PduWriter}
 * to the channel). The channel is an {@link EmbeddedChannel} whose outbound queue is drained and
 * released every operation, so {@code gc.alloc.rate.norm} is what the transport (and the PDU
 * builders the iscsi bundle calls per PDU) allocate, without a socket's own costs. It runs on
 * Netty threads ({@link FastThreadLocalExecutor}), as the transport does. Data-In
 * references "backend" memory (a direct buffer sliced per I/O, as the RAM disk lends it).
 *
 * <p>This class sits in transport-tcp's internal package to reach {@link TcpConnection}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Djmh.executor=CUSTOM",
        "-Djmh.executor.class=dev.lunar.transport.tcp.internal.FastThreadLocalExecutor"})
public class TcpDataPathBenchmark {

    private static final int SEGMENT = 262144;
    private static final ByteBufAllocator POOL = ByteBufAllocator.DEFAULT;

    private TcpTransport transport;
    private EmbeddedChannel channel;
    private Connection connection;
    private DataBuffer backend;
    /** 256 KiB in four 64 KiB pages, as the RAM disk lends a 256 KiB read. */
    private DataBuffer pages;
    private byte[] readCommand;
    private byte[] writeCommand;
    private long received;
    private int sn;
    private final SendCallback counting = failure -> {
        if (failure == null) {
            sn++;
        }
    };

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        transport = new TcpTransport(new TcpTransport.Options(1, false, SEGMENT, 1L << 30));
        channel = new EmbeddedChannel(false, false);
        ConnectionListener listener = new ConnectionListener() {
            @Override
            public void pduReceived(Connection c, Pdu pdu) {
                // What the engine reads off every SCSI Command before it builds the task.
                ByteBuffer h = pdu.header();
                received += Bhs.itt(h) + ScsiCommandPdu.cmdSn(h) + ScsiCommandPdu.expectedDataTransferLength(h)
                        + h.get(ScsiCommandPdu.OFFSET_CDB) + pdu.dataLength();
                pdu.release();
            }

            @Override
            public void closed(Connection c, Throwable cause) {
                // nothing to do
            }
        };
        connection = TcpConnection.accepted(transport, channel, c -> listener);
        channel.register();
        connection.configure(new ConnectionSettings(false, false, SEGMENT, SEGMENT));
        backend = DataBuffers.allocateDirect(SEGMENT);
        pages = DataBuffers.wrap(null, ByteBuffer.allocateDirect(SEGMENT / 4), ByteBuffer.allocateDirect(SEGMENT / 4),
                ByteBuffer.allocateDirect(SEGMENT / 4), ByteBuffer.allocateDirect(SEGMENT / 4));
        readCommand = commandFrame(0x28, ScsiCommandPdu.FLAG_READ, 0);
        writeCommand = commandFrame(0x2a, ScsiCommandPdu.FLAG_WRITE, 4096);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
        backend.release();
        pages.release();
        transport.deactivate();
    }

    /** A SCSI Command frame (RFC 7143 §11.3) with {@code immediate} bytes of immediate data. */
    private static byte[] commandFrame(int opcode, int rw, int immediate) {
        ByteBuffer f = ByteBuffer.allocate(Pdu.BHS_LENGTH + immediate);
        f.put(0, (byte) Opcode.SCSI_COMMAND);
        Bhs.putFlags(f, 0x80 | rw | 1);
        Bhs.putDataSegmentLength(f, immediate);
        Bhs.putItt(f, 7);
        f.putInt(ScsiCommandPdu.OFFSET_EXPECTED_LENGTH, 4096);
        f.putInt(Bhs.OFFSET_SN, 1);
        f.put(ScsiCommandPdu.OFFSET_CDB, (byte) opcode);
        f.putShort(ScsiCommandPdu.OFFSET_CDB + 7, (short) 8);
        return f.array();
    }

    private void receive(byte[] frame) {
        // A pooled direct read buffer per operation, as the socket channel reads into.
        ByteBuf in = POOL.directBuffer(frame.length);
        in.writeBytes(frame);
        channel.pipeline().fireChannelRead(in);
        // A socket read loop always ends like this (it is where deferred flushes happen).
        channel.pipeline().fireChannelReadComplete();
    }

    private void drainOutbound() {
        Object m;
        while ((m = channel.outboundMessages().poll()) != null) {
            ReferenceCountUtil.release(m);
        }
    }

    /** One 4K READ(10) command frame in, framed and delivered. */
    @Benchmark
    public long receiveReadCommand() {
        receive(readCommand);
        return received;
    }

    /** One 4K WRITE(10) command frame with its 4 KiB of immediate data, framed and delivered. */
    @Benchmark
    public long receiveWriteWithImmediateData() {
        receive(writeCommand);
        return received;
    }

    /**
     * A 4K read's reply as the iscsi bundle sends it: one Data-In with the status collapsed into
     * it (RFC 7143 §11.7.3) referencing backend memory, sent and flushed.
     */
    @Benchmark
    public int sendDataIn4k() {
        return sendDataIn(4096);
    }

    /** A 256K read's reply: one 256 KiB Data-In with status (MaxRecvDataSegmentLength 256 KiB). */
    @Benchmark
    public int sendDataIn256k() {
        return sendDataIn(SEGMENT);
    }

    /** The same from four 64 KiB pages (the RAM disk's page size): a scattered data segment. */
    @Benchmark
    public int sendDataIn256kFromPages() {
        return sendDataIn(pages, SEGMENT);
    }

    private int sendDataIn(int length) {
        return sendDataIn(backend, length);
    }

    private int sendDataIn(DataBuffer memory, int length) {
        int n = sn;
        DataInPdu b = new DataInPdu().itt(7).dataSn(0).bufferOffset(0).finalFlag(true).status(0)
                .residual(false, 0).expCmdSn(n).maxCmdSn(n + 64).statSn(n);
        connection.send(b.toPdu(memory.retainedSlice(0, length)), counting);
        connection.flush();
        drainOutbound();
        return sn;
    }

    /** A write's reply: a SCSI Response without data, sent and flushed. */
    @Benchmark
    public int sendResponse() {
        int n = sn;
        ScsiResponsePdu r = new ScsiResponsePdu().itt(7).response(ScsiResponsePdu.RESPONSE_COMPLETED).status(0)
                .residual(false, 0).expDataSn(0).statSn(n).expCmdSn(n).maxCmdSn(n + 64);
        connection.send(r.toPdu(), counting);
        connection.flush();
        drainOutbound();
        return sn;
    }
}
