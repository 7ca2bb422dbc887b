package dev.lunar.benchmarks;

import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.DataInPdu;
import dev.lunar.pdu.LoginRequestPdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.PduValidator;
import dev.lunar.pdu.PduViolation;
import dev.lunar.pdu.ScsiCommandPdu;
import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextCodec;
import dev.lunar.pdu.text.TextFormatException;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The iSCSI PDU codec of bundles/pdu, one PDU per operation, as the iscsi bundle uses it:
 * decoding = {@link PduValidator#validate} plus the field reads {@code IscsiConnection} does for a
 * SCSI Command (CDB view included); encoding = the BHS a target builds per Data-In PDU
 * ({@code IscsiTask}) and, for the initiator-side PDUs, {@link Bhs} puts. The Login request carries
 * the operational keys a Linux initiator offers (RFC 7143 §13).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PduCodecBenchmark {

    /** RFC 7143 §13: what open-iscsi sends in its first operational-stage Login request. */
    static final List<KeyValue> LOGIN_KEYS = List.of(
            new KeyValue("InitiatorName", "iqn.2004-10.com.ubuntu:01:8f2a9c3b4d5e"),
            new KeyValue("InitiatorAlias", "bench-host"),
            new KeyValue("TargetName", "iqn.2026-01.dev.lunar:bench"),
            new KeyValue("SessionType", "Normal"),
            new KeyValue("HeaderDigest", "None"),
            new KeyValue("DataDigest", "None"),
            new KeyValue("DefaultTime2Wait", "2"),
            new KeyValue("DefaultTime2Retain", "0"),
            new KeyValue("IFMarker", "No"),
            new KeyValue("OFMarker", "No"),
            new KeyValue("ErrorRecoveryLevel", "0"),
            new KeyValue("InitialR2T", "No"),
            new KeyValue("ImmediateData", "Yes"),
            new KeyValue("MaxBurstLength", "16776192"),
            new KeyValue("FirstBurstLength", "262144"),
            new KeyValue("MaxOutstandingR2T", "1"),
            new KeyValue("MaxConnections", "1"),
            new KeyValue("DataPDUInOrder", "Yes"),
            new KeyValue("DataSequenceInOrder", "Yes"),
            new KeyValue("MaxRecvDataSegmentLength", "262144"));

    /** The keys above, for the negotiation benchmark (same request). */
    public static List<KeyValue> operationalKeys() {
        return LOGIN_KEYS;
    }

    private static final int MAX_RECV = 262144;
    private static final int LOGIN_TEXT_LIMIT = 65536;

    private Pdu scsiCommand;
    private ByteBuffer dataInHeader;
    private Pdu loginRequest;
    private byte[] loginText;
    private ByteBuffer encodeTarget;
    private int sn;

    @Setup
    public void setUp() {
        ByteBuffer h = Bhs.allocate(Opcode.SCSI_COMMAND, false);
        encodeScsiCommand(h, 7, 1234);
        scsiCommand = new Pdu(h, null);
        if (PduValidator.validate(scsiCommand, MAX_RECV) != null) {
            throw new IllegalStateException("the benchmark's SCSI Command is malformed");
        }
        dataInHeader = new DataInPdu().itt(7).statSn(1).expCmdSn(2).maxCmdSn(65).dataSn(0)
                .bufferOffset(0).finalFlag(true).toPdu().header();
        loginText = TextCodec.encode(LOGIN_KEYS);
        ByteBuffer lh = Bhs.allocate(Opcode.LOGIN_REQUEST, true);
        encodeLoginHeader(lh, loginText.length);
        loginRequest = new Pdu(lh, DataBuffers.wrap(loginText));
        if (PduValidator.validate(loginRequest, MAX_RECV) != null) {
            throw new IllegalStateException("the benchmark's Login request is malformed");
        }
        encodeTarget = ByteBuffer.allocate(Pdu.BHS_LENGTH);
    }

    /** A READ(10) of 8 blocks at LBA 0x1000, SIMPLE, 4 KiB expected. */
    private static void encodeScsiCommand(ByteBuffer h, int itt, int cmdSn) {
        Bhs.putFlags(h, 0x80 | ScsiCommandPdu.FLAG_READ | 1);
        Bhs.putLun(h, 0);
        Bhs.putItt(h, itt);
        h.putInt(ScsiCommandPdu.OFFSET_EXPECTED_LENGTH, 4096);
        h.putInt(Bhs.OFFSET_SN, cmdSn);
        h.putInt(Bhs.OFFSET_EXP_SN, cmdSn);
        h.put(ScsiCommandPdu.OFFSET_CDB, (byte) 0x28);
        h.putInt(ScsiCommandPdu.OFFSET_CDB + 2, 0x1000);
        h.putShort(ScsiCommandPdu.OFFSET_CDB + 7, (short) 8);
    }

    private static void encodeLoginHeader(ByteBuffer h, int textLength) {
        // T=1, CSG=1 (operational), NSG=3 (full feature)
        Bhs.putFlags(h, LoginRequestPdu.FLAG_TRANSIT | (1 << 2) | 3);
        h.putLong(LoginRequestPdu.OFFSET_ISID, 0x400001370000L << 16);
        Bhs.putItt(h, 0);
        Bhs.putDataSegmentLength(h, textLength);
    }

    /** What IscsiConnection reads from a SCSI Command before it builds the task. */
    @Benchmark
    public void scsiCommandDecode(Blackhole bh) {
        PduViolation v = PduValidator.validate(scsiCommand, MAX_RECV);
        ByteBuffer h = scsiCommand.header();
        bh.consume(v);
        bh.consume(Bhs.itt(h));
        bh.consume(Bhs.immediate(h));
        bh.consume(Bhs.lun(h));
        bh.consume(ScsiCommandPdu.cmdSn(h));
        bh.consume(ScsiCommandPdu.expStatSn(h));
        bh.consume(ScsiCommandPdu.expectedDataTransferLength(h));
        bh.consume(ScsiCommandPdu.bidirectionalReadLength(h));
        bh.consume(ScsiCommandPdu.attribute(h));
        bh.consume(ScsiCommandPdu.read(h));
        bh.consume(ScsiCommandPdu.write(h));
        bh.consume(ScsiCommandPdu.cdb(h));
    }

    /** An initiator writing a SCSI Command BHS into a reused header buffer. */
    @Benchmark
    public ByteBuffer scsiCommandEncode() {
        ByteBuffer h = encodeTarget;
        h.clear();
        h.put(0, (byte) Opcode.SCSI_COMMAND);
        encodeScsiCommand(h, 7, ++sn);
        return h;
    }

    /** The target's Data-In header per PDU, exactly as IscsiTask builds it (one builder per PDU). */
    @Benchmark
    public Pdu dataInEncode() {
        return new DataInPdu().itt(7).dataSn(sn++).bufferOffset(0).finalFlag(true)
                .status(0).residual(false, 0).statSn(sn).expCmdSn(sn).maxCmdSn(sn + 64).lun(0).toPdu();
    }

    /** An initiator reading a Data-In header. */
    @Benchmark
    public void dataInDecode(Blackhole bh) {
        ByteBuffer h = dataInHeader;
        bh.consume(Bhs.opcode(h));
        bh.consume(Bhs.itt(h));
        bh.consume(Bhs.dataSegmentLength(h));
        bh.consume(DataInPdu.hasStatus(h));
        bh.consume(DataInPdu.status(h));
        bh.consume(DataInPdu.dataSn(h));
        bh.consume(DataInPdu.bufferOffset(h));
        bh.consume(DataInPdu.residualCount(h));
        bh.consume(DataInPdu.underflow(h));
    }

    /** A Login request: validation, header fields and its text keys (the login path copies the text out). */
    @Benchmark
    public List<KeyValue> loginRequestDecode(Blackhole bh) throws TextFormatException {
        Pdu p = loginRequest;
        bh.consume(PduValidator.validate(p, MAX_RECV));
        ByteBuffer h = p.header();
        bh.consume(LoginRequestPdu.transit(h));
        bh.consume(LoginRequestPdu.currentStage(h));
        bh.consume(LoginRequestPdu.nextStage(h));
        bh.consume(LoginRequestPdu.isid(h));
        bh.consume(LoginRequestPdu.tsih(h));
        bh.consume(LoginRequestPdu.cid(h));
        byte[] text = p.data().toByteArray();
        return TextCodec.decode(text, LOGIN_TEXT_LIMIT, 1024);
    }

    /** An initiator's Login request: BHS plus the encoded text keys. */
    @Benchmark
    public Pdu loginRequestEncode() {
        byte[] text = TextCodec.encode(LOGIN_KEYS);
        ByteBuffer h = Bhs.allocate(Opcode.LOGIN_REQUEST, true);
        encodeLoginHeader(h, text.length);
        return new Pdu(h, DataBuffers.wrap(text));
    }
}
