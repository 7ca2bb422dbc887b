package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * iSCSI digests (RFC 7143 §13.1, CRC32C) as the project computes them, against the bare JDK
 * {@link CRC32C} they all wrap: bundles/pdu's {@code Crc32c} (header over a BHS, data over a
 * {@link DataBuffer} plus padding) and transport-tcp's package-private {@code Crc32c} (over a Netty
 * {@link ByteBuf} and a {@link ByteBuffer}). This class sits in transport-tcp's package to reach it.
 * Sizes: a 48-byte BHS, a 4 KiB block, a 256 KiB segment; all direct memory, as on the wire.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class Crc32cBenchmark {

    @Param({"48", "4096", "262144"})
    public int size;

    private ByteBuffer direct;
    private DataBuffer dataBuffer;
    private ByteBuf byteBuf;
    private final CRC32C reused = new CRC32C();

    @Setup
    public void setUp() {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        direct = ByteBuffer.allocateDirect(size).put(bytes).flip();
        dataBuffer = DataBuffers.allocateDirect(size);
        ByteBuffer view = dataBuffer.nioBuffers(0, size)[0];
        view.put(bytes);
        byteBuf = Unpooled.directBuffer(size).writeBytes(bytes);
        int expected = jdkCrc32cReused();
        if (pduData() != expected || tcpByteBuf() != expected || tcpByteBuffer() != expected
                || (size == 48 && pduHeader() != expected)) {
            throw new IllegalStateException("the digests disagree");
        }
    }

    @TearDown
    public void tearDown() {
        dataBuffer.release();
        byteBuf.release();
    }

    /** The floor: the JDK's intrinsic CRC32C, one instance reused, no views. */
    @Benchmark
    public int jdkCrc32cReused() {
        CRC32C crc = reused;
        crc.reset();
        int p = direct.position();
        crc.update(direct);
        direct.position(p);
        return (int) crc.getValue();
    }

    /** pdu's header digest (used for a 48-byte BHS; a duplicate and a CRC32C per call). */
    @Benchmark
    public int pduHeader() {
        return dev.lunar.pdu.Crc32c.header(direct);
    }

    /** pdu's data digest: views of the DataBuffer plus zero padding (sizes here need none). */
    @Benchmark
    public int pduData() {
        return dev.lunar.pdu.Crc32c.data(dataBuffer);
    }

    /** transport-tcp's digest over a Netty buffer (what the TCP decoder checks per PDU). */
    @Benchmark
    public int tcpByteBuf() {
        return Crc32c.digest(byteBuf, 0, size);
    }

    /** transport-tcp's digest over a ByteBuffer (the header digest on send). */
    @Benchmark
    public int tcpByteBuffer() {
        return Crc32c.digest(direct);
    }
}
