package dev.lunar.iscsi.internal;

import dev.lunar.iscsi.internal.login.TargetConfig;
import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.LoginRequestPdu;
import dev.lunar.pdu.LoginResponsePdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.ScsiCommandPdu;
import dev.lunar.spi.buffer.BufferAllocator;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.DataReceiver;
import dev.lunar.spi.scsi.DeviceServer;
import dev.lunar.spi.scsi.Nexus;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import dev.lunar.spi.scsi.TmfResult;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.SendCallback;
import dev.lunar.spi.transport.TransportLimits;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The iSCSI engine's share of one command (issue 7: per-I/O garbage): a logged-in session on an
 * in-memory connection whose sends are released at once, in front of a device server that answers
 * READ(10) with a slice of its memory and takes WRITE(10) data, synchronously. So the cost and the
 * garbage are the engine's (IscsiConnection, Session, IscsiTask, the CmdSN window, building
 * Data-In and SCSI Response PDUs), not the SCSI core's ({@code ScsiDispatchBenchmark}) or the TCP
 * transport's ({@code TcpDataPathBenchmark}). A READ's incoming PDU is reused (a transport decodes
 * a new one); a WRITE's immediate data is a retained slice per command, as a decoder hands it on.
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is bytes per command.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class IscsiEngineBenchmark {

    private static final String TARGET = "iqn.2026-11.dev.lunar:bench";
    private static final int BLOCK = 512;
    private static final int IO = 4096;

    private BenchConnection connection;
    private ByteBuffer readHeader;
    private Pdu readPdu;
    private ByteBuffer writeHeader;
    private DataBuffer writePayload;
    private int itt = 0x1000;
    private int cmdSn;

    @Setup
    public void login() {
        IscsiEngine engine = new IscsiEngine(EngineSettings.standard(), new SecureRandom());
        engine.setDeviceServer(new BenchDevice());
        engine.putTarget("bench", TargetConfig.of(TARGET));
        PortalBinding portal = new PortalBinding("bench", new InetSocketAddress("127.0.0.1", 3260), 1,
                new TransportLimits(262144, 262144, 1 << 20, false, false));
        connection = new BenchConnection();
        connection.listener = engine.handler(portal).accepted(connection);

        ByteBuffer h = Bhs.allocate(Opcode.LOGIN_REQUEST, true);
        Bhs.putFlags(h, LoginRequestPdu.FLAG_TRANSIT | 1 << 2 | 3);
        h.put(8, (byte) 0x80);
        Bhs.putItt(h, itt++);
        h.putInt(24, 1);
        StringBuilder keys = new StringBuilder();
        for (String kv : new String[] {"InitiatorName=iqn.2026-11.dev.lunar:bench-initiator", "TargetName=" + TARGET,
            "SessionType=Normal", "HeaderDigest=None", "DataDigest=None", "MaxRecvDataSegmentLength=262144",
            "MaxBurstLength=1048576", "FirstBurstLength=262144", "InitialR2T=No", "ImmediateData=Yes"}) {
            keys.append(kv).append('\0');
        }
        byte[] text = keys.toString().getBytes(StandardCharsets.UTF_8);
        Bhs.putDataSegmentLength(h, text.length);
        connection.receive(new Pdu(h, DataBuffers.wrap(text)));
        if (connection.loginStatus != 0) {
            throw new IllegalStateException("login failed: status 0x" + Integer.toHexString(connection.loginStatus));
        }
        cmdSn = 1;

        readHeader = command(true, false, IO);
        readHeader.put(ScsiCommandPdu.OFFSET_CDB, (byte) 0x28);
        readHeader.putShort(ScsiCommandPdu.OFFSET_CDB + 7, (short) (IO / BLOCK));
        readPdu = new Pdu(readHeader, null);
        writeHeader = command(false, true, IO);
        writeHeader.put(ScsiCommandPdu.OFFSET_CDB, (byte) 0x2a);
        writeHeader.putShort(ScsiCommandPdu.OFFSET_CDB + 7, (short) (IO / BLOCK));
        Bhs.putDataSegmentLength(writeHeader, IO);
        writePayload = DataBuffers.wrap(new byte[IO]);
    }

    private static ByteBuffer command(boolean read, boolean write, int edtl) {
        ByteBuffer h = Bhs.allocate(Opcode.SCSI_COMMAND, false);
        Bhs.putFlags(h, 0x80 | (read ? ScsiCommandPdu.FLAG_READ : 0) | (write ? ScsiCommandPdu.FLAG_WRITE : 0) | 1);
        h.putInt(ScsiCommandPdu.OFFSET_EXPECTED_LENGTH, edtl);
        return h;
    }

    private void number(ByteBuffer h) {
        Bhs.putItt(h, itt++);
        h.putInt(24, cmdSn++);
        h.putInt(28, connection.expStatSn);
    }

    @Benchmark
    public int read4k() {
        number(readHeader);
        connection.receive(readPdu);
        return connection.statusCount;
    }

    @Benchmark
    public int write4k() {
        number(writeHeader);
        connection.receive(new Pdu(writeHeader, writePayload.retainedSlice(0, IO)));
        return connection.statusCount;
    }

    /** The benchmark thread is the I/O thread; sent PDUs are released at once, as if written. */
    static final class BenchConnection implements Connection {
        ConnectionListener listener;
        ConnectionSettings settings = ConnectionSettings.LOGIN;
        int loginStatus = -1;
        int expStatSn;
        int statusCount;

        void receive(Pdu pdu) {
            listener.pduReceived(this, pdu);
        }

        @Override
        public String id() {
            return "bench-1";
        }

        @Override
        public String transportKind() {
            return "bench";
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 3260);
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public void send(Pdu pdu, SendCallback done) {
            ByteBuffer h = pdu.header();
            int op = Bhs.opcode(h);
            if (op == Opcode.LOGIN_RESPONSE) {
                loginStatus = LoginResponsePdu.statusClass(h) << 8 | LoginResponsePdu.statusDetail(h);
                expStatSn = Bhs.sn(h) + 1;
            } else if (op == Opcode.SCSI_RESPONSE || (op == Opcode.DATA_IN && (Bhs.flags(h) & 1) != 0)) {
                expStatSn = Bhs.sn(h) + 1;
                statusCount++;
            }
            pdu.release();
            if (done != null) {
                done.sent(null);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void configure(ConnectionSettings s) {
            settings = s;
        }

        @Override
        public ConnectionSettings settings() {
            return settings;
        }

        @Override
        public BufferAllocator allocator() {
            return DataBuffers::allocateHeap;
        }

        @Override
        public Executor executor() {
            return Runnable::run;
        }

        @Override
        public boolean inIoThread() {
            return true;
        }

        @Override
        public void setReading(boolean reading) {
        }

        @Override
        public void close(boolean graceful) {
            throw new IllegalStateException("the engine closed the benchmark's connection");
        }

        @Override
        public CompletionStage<DetachedConnection> detach() {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("benchmark"));
        }
    }

    /** READ(10) answers a slice of memory, WRITE(10) takes its data; both complete at once. */
    static final class BenchDevice implements DeviceServer {
        private final DataBuffer disk = DataBuffers.wrap(new byte[1 << 20]);

        @Override
        public Nexus openNexus(String targetName, String initiatorPort, String targetPort, int relativeTargetPortId,
                boolean readOnly) {
            return new Nexus() {
                @Override
                public void execute(ScsiTask task) {
                    ByteBuffer cdb = task.cdb();
                    int length = (cdb.getShort(7) & 0xffff) * BLOCK;
                    task.transferLength(length);
                    if ((cdb.get(0) & 0xff) == 0x28) {
                        task.sendData(0, disk.retainedSlice(0, length));
                        task.complete(ScsiStatus.GOOD, null);
                    } else if ((cdb.get(0) & 0xff) == 0x2a) {
                        task.receiveData(0, length, new Writer(task));
                    } else {
                        task.complete(ScsiStatus.GOOD, null);
                    }
                }

                @Override
                public void manage(TmfRequest request, Consumer<TmfResponse> done) {
                    done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE));
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** The device's own share of a write (one small object), as a backend's completion would be. */
    private static final class Writer implements DataReceiver {
        private final ScsiTask task;

        Writer(ScsiTask task) {
            this.task = task;
        }

        @Override
        public void received(DataBuffer data) {
            data.release();
            task.complete(ScsiStatus.GOOD, null);
        }

        @Override
        public void failed(Sense reason) {
            task.complete(ScsiStatus.CHECK_CONDITION, null);
        }
    }
}
