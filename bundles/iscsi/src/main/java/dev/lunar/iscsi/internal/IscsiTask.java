package dev.lunar.iscsi.internal;

import dev.lunar.api.IoStatsRecorder;
import dev.lunar.pdu.DataInPdu;
import dev.lunar.pdu.ScsiResponsePdu;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.DataReceiver;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * One SCSI command as the iSCSI port carries it: turns the device server's data movement into
 * Data-In, R2T and SCSI Response PDUs and feeds it the Data-Out that arrives (RFC 7143 §11.3-11.8).
 *
 * <p>Threading: the device server calls the {@link ScsiTask} methods from any thread; each hops to
 * the connection's I/O thread, where all state of this class lives.
 *
 * <p>Buffers: Data-In is split into PDUs with {@link DataBuffer#retainedSlice} (no copy) and the
 * transport releases each slice after sending. Data-Out payload stays in the PDU buffers it arrived
 * in; a receive request that one PDU covers gets a slice of it (no copy), one that spans PDUs gets
 * a buffer from the connection's allocator and exactly one copy of each byte.
 */
final class IscsiTask implements ScsiTask, CommandWindow.Pending {

    private enum State { HELD, RUNNING, DONE }

    /** Read-only and empty: what {@link #chunks} and {@link #inReorder} are until a first put. */
    private static final NavigableMap<Integer, DataBuffer> NO_BUFFERS = Collections.emptyNavigableMap();

    /** One outstanding R2T (RFC 7143 §11.8) and how much of its data arrived. */
    private static final class R2tState {
        final int ttt;
        final int offset;
        final int length;
        int received;
        int nextDataSn;

        R2tState(int ttt, int offset, int length) {
            this.ttt = ttt;
            this.offset = offset;
            this.length = length;
        }
    }

    private record DataRequest(int offset, int length, DataReceiver receiver) {
    }

    private final IscsiConnection conn;
    final int itt;
    final int cmdSn;
    final boolean immediate;
    private final long lun;
    private final ByteBuffer cdb;
    private final TaskAttribute attribute;
    private final boolean readFlag;
    private final boolean writeFlag;
    private final int expectedIn;
    private final int expectedOut;
    private final int maxBurst;
    private final int maxOutstandingR2t;
    /** When the SCSI Command PDU arrived: the session's latency runs from here to the response. */
    private final long arrivalNanos = System.nanoTime();
    /** How the session's statistics count this command (same table as the SCSI core's). */
    private final IoStatsRecorder.Kind ioKind;
    /** Set by {@link #finish}: the outcome counted when the task leaves; null means aborted. */
    private ScsiStatus finalStatus;
    private boolean finalError;

    private State state = State.HELD;
    private boolean slotTaken;
    private int transferLength = -1;

    // Data-In
    private int nextInOffset;
    // The maps and lists below start as shared empty instances (or ArrayLists without an array)
    // and get storage on first use: most tasks are a 4K read or a write whose data came with the
    // command, and allocating them all per command was a third of the per-I/O garbage (JFR).
    private NavigableMap<Integer, DataBuffer> inReorder = NO_BUFFERS;
    private DataBuffer heldIn;
    private int heldInOffset;
    private int dataSn;
    private long inBytes;
    private long inOverflow;
    /** Status the device server gave while Data-In was still deferred (not writable). */
    private ScsiStatus pendingStatus;
    private ByteBuffer pendingSense;

    // Data-Out
    private final int unsolicitedEnd;
    private int unsolicitedNext;
    private int unsolicitedDataSn;
    private NavigableMap<Integer, DataBuffer> chunks = NO_BUFFERS;
    private final List<DataRequest> requests = new ArrayList<>();
    private final List<R2tState> r2ts = new ArrayList<>();
    private int requestedEnd;
    private int solicitNext;
    private int r2tSn;
    private long outDelivered;

    /**
     * @param immediateData the command PDU's data segment (ownership passes here), or null
     * @param finalBit the command's F bit: no unsolicited Data-Out follows
     */
    IscsiTask(IscsiConnection conn, int itt, int cmdSn, boolean immediate, long lun, ByteBuffer cdb,
            TaskAttribute attribute, boolean readFlag, boolean writeFlag, int expectedLength, int bidiReadLength,
            DataBuffer immediateData, boolean finalBit) {
        this.conn = conn;
        this.itt = itt;
        this.cmdSn = cmdSn;
        this.immediate = immediate;
        this.lun = lun;
        ByteBuffer readOnly = cdb.isReadOnly() ? cdb : cdb.asReadOnlyBuffer();
        // cdb() resets the view with clear(): the CDB must span the view's whole capacity.
        this.cdb = readOnly.position() == 0 && readOnly.limit() == readOnly.capacity() ? readOnly : readOnly.slice();
        this.attribute = attribute;
        this.ioKind = IoStatsRecorder.kindOf(cdb.limit() > 0 ? cdb.get(0) : 0);
        this.readFlag = readFlag;
        this.writeFlag = writeFlag;
        // RFC 7143 §11.3.5: with R and W both set, EDTL is the write length and AHS type 2 the read length.
        this.expectedOut = writeFlag ? expectedLength : 0;
        this.expectedIn = readFlag ? (writeFlag ? Math.max(bidiReadLength, 0) : expectedLength) : 0;
        var p = conn.session().parameters();
        this.maxBurst = p.maxBurstLength();
        this.maxOutstandingR2t = p.maxOutstandingR2T();
        int imm = immediateData == null ? 0 : immediateData.length();
        if (imm > 0) {
            writableChunks().put(0, immediateData);
            conn.session().dataOutHeld(imm);
        } else if (immediateData != null) {
            immediateData.release();
        }
        this.unsolicitedNext = imm;
        // Unsolicited Data-Out follows only when the command's F bit is clear (§11.3.1.1), which
        // InitialR2T=No allows, up to FirstBurstLength including the immediate data (§13.14).
        this.unsolicitedEnd = !finalBit && !p.initialR2T() ? Math.min(p.firstBurstLength(), expectedOut) : imm;
        this.solicitNext = Math.max(unsolicitedEnd, imm);
    }

    // ---- ScsiTask: identity ----

    @Override
    public long lun() {
        return lun;
    }

    /**
     * The same read-only view on every call, reset to position 0 and the whole CDB: the SCSI core
     * reads the CDB several times per command (dispatch, opcode, service action, the handler),
     * and a duplicate per call was several objects per I/O. Read-only, so a caller can move only
     * the view's own position and limit, which the next call puts back.
     */
    @Override
    public ByteBuffer cdb() {
        return cdb.clear();
    }

    @Override
    public long tag() {
        return itt & 0xffffffffL;
    }

    @Override
    public TaskAttribute attribute() {
        return attribute;
    }

    @Override
    public int expectedDataInLength() {
        return expectedIn;
    }

    @Override
    public int expectedDataOutLength() {
        return expectedOut;
    }

    // ---- ScsiTask: data movement, hopping to the I/O thread ----

    // A core that answers inline (the RAM disk) calls these on the I/O thread: they then run at
    // once, without the closures a hop needs (IscsiConnection.runsInline).

    @Override
    public void transferLength(int bytes) {
        if (conn.runsInline()) {
            transferLength = bytes;
            return;
        }
        conn.runOnIo(() -> transferLength = bytes, null);
    }

    @Override
    public void receiveData(int offset, int length, DataReceiver receiver) {
        if (conn.runsInline()) {
            try {
                receiveOnIo(offset, length, receiver);
            } catch (RuntimeException e) {
                conn.internalError(e);
            } finally {
                conn.afterInline();
            }
            return;
        }
        conn.runOnIo(() -> receiveOnIo(offset, length, receiver), () -> receiver.failed(Sense.COMMAND_ABORTED));
    }

    @Override
    public void sendData(int offset, DataBuffer data) {
        if (conn.runsInline()) {
            try {
                sendOnIo(offset, data);
            } catch (RuntimeException e) {
                conn.internalError(e);
            } finally {
                conn.afterInline();
            }
            return;
        }
        conn.runOnIo(() -> sendOnIo(offset, data), data::release);
    }

    @Override
    public void complete(ScsiStatus status, ByteBuffer sense) {
        if (conn.runsInline()) {
            try {
                completeOnIo(status, sense);
            } catch (RuntimeException e) {
                conn.internalError(e);
            } finally {
                conn.afterInline();
            }
            return;
        }
        conn.runOnIo(() -> completeOnIo(status, sense), null);
    }

    private void completeOnIo(ScsiStatus status, ByteBuffer sense) {
        if (state != State.RUNNING || pendingStatus != null) {
            return;
        }
        if (hasDeferredDataIn()) {
            // The status follows the data (RFC 7143 §11.7.3): it waits with it.
            pendingStatus = status;
            pendingSense = sense;
            return;
        }
        finish(status, sense);
    }

    @Override
    public void aborted() {
        conn.runOnIo(() -> {
            if (state != State.DONE) {
                // SAM-5 §5.6: an aborted task gets no response.
                cleanup();
            }
        }, null);
    }

    // ---- CommandWindow.Pending ----

    /** Its CmdSN came up (or it is immediate): hand it to the SCSI core. On the I/O thread. */
    @Override
    public void deliver() {
        if (state != State.HELD) {
            return;
        }
        state = State.RUNNING;
        slotTaken = true;
        conn.session().window.taskStarted();
        try {
            var nexus = conn.session().nexus();
            if (nexus == null) {
                // No SCSI core bound (DESIGN.md §3.5: BUSY until a replacement binds).
                finish(ScsiStatus.BUSY, null);
                return;
            }
            nexus.execute(this);
        } catch (RuntimeException | LinkageError e) {
            // LinkageError too: a scsi bundle being updated or refreshed under us shows up as
            // NoClassDefFoundError; the command gets BUSY and the session survives the swap.
            conn.log().warn("Connection {}: SCSI core failed to start task 0x{}", conn.id(), Integer.toHexString(itt), e);
            if (state == State.RUNNING) {
                finish(ScsiStatus.BUSY, null);
            }
        }
    }

    @Override
    public void discard() {
        cleanup();
    }

    boolean held() {
        return state == State.HELD;
    }

    boolean running() {
        return state == State.RUNNING;
    }

    /** Its status went out (SCSI Response or Data-In with status): the initiator saw it complete. */
    boolean statusSent() {
        return finalStatus != null;
    }

    /** Whether the device server waits for Data-Out that has not fully arrived yet. */
    boolean waitsForDataOut() {
        return state == State.RUNNING && !requests.isEmpty();
    }

    /**
     * The connection is writable again: send the Data-In held back and the R2Ts not yet sent,
     * then the status if it came meanwhile. On the I/O thread.
     */
    void resumeOutput() {
        if (state != State.RUNNING) {
            return;
        }
        solicit();
        pumpDataIn();
    }

    /** The connection or session ended: drop everything, answer nothing. */
    void connectionLost() {
        if (state != State.DONE) {
            cleanup();
        }
    }

    // ---- Data-Out ----

    private void receiveOnIo(int offset, int length, DataReceiver receiver) {
        if (state != State.RUNNING) {
            receiver.failed(Sense.COMMAND_ABORTED);
            return;
        }
        if (offset < 0 || length < 0 || (long) offset + length > expectedOut) {
            // The command wants more than the initiator will send: residual overflow (RFC 7143
            // §11.4.5.1). Like FCP-4 §9.4.2 b) we move no data and end the command with
            // INVALID FIELD IN INFORMATION UNIT; the residual is reported in the response.
            receiver.failed(SenseData.INVALID_FIELD_IN_INFORMATION_UNIT);
            if (state == State.RUNNING) {
                finish(ScsiStatus.CHECK_CONDITION, SenseData.fixed(SenseData.INVALID_FIELD_IN_INFORMATION_UNIT));
            }
            return;
        }
        if (length == 0) {
            receiver.received(DataBuffers.empty());
            return;
        }
        requests.add(new DataRequest(offset, length, receiver));
        requestedEnd = Math.max(requestedEnd, offset + length);
        solicit();
        satisfy();
    }

    /** Budget came back: try to solicit again. On the I/O thread. */
    void solicitMore() {
        solicit();
    }

    /** Sends R2Ts for requested bytes not yet solicited, at most MaxOutstandingR2T at a time (§13.17). */
    private void solicit() {
        while (state == State.RUNNING && r2ts.size() < maxOutstandingR2t && solicitNext < requestedEnd) {
            if (!conn.writable()) {
                // An R2T into a full send queue only adds to it (DESIGN.md §3.4); resumeOutput asks again.
                conn.session().waitForWritable(this);
                return;
            }
            int len = Math.min(maxBurst, requestedEnd - solicitNext);
            if (!conn.session().takeSolicitBudget(len)) {
                // The session has enough data on the way; ask again when some of it has landed.
                conn.session().waitForSolicitBudget(this);
                return;
            }
            R2tState r = new R2tState(conn.session().newTargetTransferTag(), solicitNext, len);
            r2ts.add(r);
            solicitNext += len;
            conn.sendR2t(itt, lun, r.ttt, r2tSn++, r.offset, r.length);
        }
    }

    /**
     * A Data-Out PDU for this task (RFC 7143 §11.7). Takes ownership of {@code pdu}. DataSN and
     * offsets are checked against the sequence they belong to. A violation cannot be recovered at
     * ERL 0 (no SNACK, no recovery R2T, §7.1.4.1); rather than dropping the connection (which
     * §7.12 would allow, but which costs every other task of the session) the task alone ends with
     * CHECK CONDITION, ABORTED COMMAND / DATA PHASE ERROR. It never completes with GOOD, which is
     * what libiscsi's DataSN tests check; Data-Out still in flight for it is then discarded.
     */
    void dataOut(int ttt, int dataSnIn, int offset, boolean fin, dev.lunar.spi.transport.Pdu pdu) {
        if (state == State.DONE) {
            // Data that was in flight when the task ended: drop it (§11.7 allows discarding).
            pdu.release();
            return;
        }
        int len = pdu.dataLength();
        if (ttt == dev.lunar.pdu.Bhs.RESERVED_TAG) {
            if (offset != unsolicitedNext || dataSnIn != unsolicitedDataSn || (long) offset + len > unsolicitedEnd) {
                pdu.release();
                sequenceError("unsolicited Data-Out for task 0x" + Integer.toHexString(itt) + " at offset " + offset
                        + " DataSN " + dataSnIn + " (expected offset " + unsolicitedNext + " DataSN " + unsolicitedDataSn
                        + ", FirstBurst end " + unsolicitedEnd + ")");
                return;
            }
            unsolicitedNext += len;
            unsolicitedDataSn++;
        } else {
            R2tState r = null;
            for (R2tState x : r2ts) {
                if (x.ttt == ttt) {
                    r = x;
                    break;
                }
            }
            if (r == null) {
                pdu.release();
                sequenceError("Data-Out with unknown TTT 0x" + Integer.toHexString(ttt) + " for task 0x"
                        + Integer.toHexString(itt));
                return;
            }
            if (dataSnIn != r.nextDataSn || offset != r.offset + r.received || r.received + len > r.length
                    || (fin && r.received + len != r.length)) {
                pdu.release();
                sequenceError("Data-Out out of sequence for task 0x" + Integer.toHexString(itt) + ": DataSN "
                        + dataSnIn + " offset " + offset + " length " + len + ", expected DataSN " + r.nextDataSn
                        + " offset " + (r.offset + r.received) + " within " + r.length);
                return;
            }
            r.received += len;
            r.nextDataSn++;
            if (r.received == r.length) {
                r2ts.remove(r);
                conn.session().returnSolicitBudget(r.length);
            }
        }
        if (len > 0) {
            DataBuffer old = writableChunks().put(offset, pdu.takeData());
            conn.session().dataOutHeld(len);
            if (old != null) {
                conn.session().dataOutHeld(-old.length());
                old.release();
            }
        }
        pdu.release();
        solicit();
        satisfy();
    }

    private void sequenceError(String why) {
        if (conn.warnOnce()) {
            conn.log().warn("Connection {}: {}; ending the task with CHECK CONDITION", conn.id(), why);
        } else {
            conn.log().debug("Connection {}: {}; ending the task with CHECK CONDITION", conn.id(), why);
        }
        finish(ScsiStatus.CHECK_CONDITION, SenseData.fixed(SenseData.DATA_PHASE_ERROR));
    }

    /** A Data-Out of this task failed its data digest; at ERL 0 the task cannot get those bytes. */
    void dataDigestError() {
        if (state == State.HELD) {
            // Not started yet: it never will be; its CmdSN still counts when it comes up.
            conn.session().window.forget(this);
        }
        if (state != State.DONE) {
            finish(ScsiStatus.CHECK_CONDITION, SenseData.fixed(SenseData.CRC_ERROR));
        }
    }

    /**
     * Hands the device server every requested range that has fully arrived. A receiver may
     * complete the task at once, so each is called outside any iteration over the requests.
     */
    private void satisfy() {
        while (state == State.RUNNING) {
            DataRequest ready = null;
            DataBuffer got = null;
            for (DataRequest r : requests) {
                got = extract(r.offset, r.length);
                if (got != null) {
                    ready = r;
                    break;
                }
            }
            if (ready == null) {
                return;
            }
            requests.remove(ready);
            outDelivered += ready.length;
            ready.receiver.received(got);
        }
    }

    private NavigableMap<Integer, DataBuffer> writableChunks() {
        if (chunks == NO_BUFFERS) {
            chunks = new TreeMap<>();
        }
        return chunks;
    }

    private DataBuffer extract(int off, int len) {
        Map.Entry<Integer, DataBuffer> first = chunks.floorEntry(off);
        if (first == null || first.getKey() + first.getValue().length() <= off) {
            return null;
        }
        int end = off + len;
        if (first.getKey() == off && first.getValue().length() == len) {
            // The common case (one PDU's data is the requested range, e.g. 4K immediate data):
            // hand over the chunk itself, no slice, no sub-map view, no iterator.
            DataBuffer whole = chunks.remove(off);
            conn.session().dataOutHeld(-len);
            return whole;
        }
        DataBuffer out;
        if (first.getKey() + first.getValue().length() >= end) {
            out = first.getValue().retainedSlice(off - first.getKey(), len);
        } else {
            // The request spans PDUs: check that every byte is here, then copy once.
            int cursor = first.getKey() + first.getValue().length();
            while (cursor < end) {
                DataBuffer next = chunks.get(cursor);
                if (next == null) {
                    return null;
                }
                cursor += next.length();
            }
            out = assemble(off, len);
        }
        // Chunks wholly inside the range are used up.
        for (Iterator<Map.Entry<Integer, DataBuffer>> it = chunks.subMap(off, true, end, false).entrySet().iterator();
                it.hasNext(); ) {
            Map.Entry<Integer, DataBuffer> e = it.next();
            if (e.getKey() + e.getValue().length() <= end) {
                conn.session().dataOutHeld(-e.getValue().length());
                e.getValue().release();
                it.remove();
            }
        }
        return out;
    }

    private DataBuffer assemble(int off, int len) {
        DataBuffer dst = conn.allocator().allocate(len);
        ByteBuffer[] views = dst == null ? null : dst.nioBuffers(0, len);
        if (views == null || views.length != 1) {
            // Budget exhausted or a scattered buffer: this small window of bytes goes to the heap
            // rather than stalling the task (the session's queue depth bounds how many exist).
            if (dst != null) {
                dst.release();
            }
            dst = DataBuffers.allocateHeap(len);
            views = dst.nioBuffers(0, len);
        }
        ByteBuffer target = views[0];
        int cursor = off;
        int end = off + len;
        while (cursor < end) {
            Map.Entry<Integer, DataBuffer> e = chunks.floorEntry(cursor);
            int in = cursor - e.getKey();
            int n = Math.min(e.getValue().length() - in, end - cursor);
            target.limit(target.position() + n);
            e.getValue().copyTo(in, target);
            cursor += n;
        }
        return dst;
    }

    // ---- Data-In ----

    private void sendOnIo(int offset, DataBuffer data) {
        if (state != State.RUNNING) {
            data.release();
            return;
        }
        int len = data.length();
        if (offset < 0 || offset >= expectedIn) {
            // Beyond what the initiator expects: dropped, reported as overflow (§11.4.5.1).
            if (offset >= 0) {
                inOverflow += len;
            }
            data.release();
            return;
        }
        if ((long) offset + len > expectedIn) {
            int keep = expectedIn - offset;
            inOverflow += len - keep;
            DataBuffer s = data.retainedSlice(0, keep);
            data.release();
            data = s;
            len = keep;
        }
        if (len == 0) {
            data.release();
            return;
        }
        if (offset == nextInOffset && conn.writable() && inReorder.isEmpty()) {
            emit(offset, data);
        } else if (offset >= nextInOffset) {
            // DataPDUInOrder=Yes (§13.19): held until the gap before it is filled; and while the
            // connection is not writable, held here rather than queued in the transport. Either
            // way it counts against the session's memory, which closes the CmdSN window.
            if (inReorder == NO_BUFFERS) {
                inReorder = new TreeMap<>();
            }
            DataBuffer old = inReorder.put(offset, data);
            conn.session().dataInHeld(len);
            if (old != null) {
                conn.session().dataInHeld(-old.length());
                old.release();
            }
            pumpDataIn();
        } else {
            // Bytes already sent (overlapping call): nothing more to send for them.
            data.release();
        }
    }

    /** Sends held Data-In that became contiguous, while the connection stays writable. */
    private void pumpDataIn() {
        Map.Entry<Integer, DataBuffer> e;
        while ((e = inReorder.firstEntry()) != null && e.getKey() <= nextInOffset) {
            if (!conn.writable()) {
                conn.session().waitForWritable(this);
                return;
            }
            inReorder.remove(e.getKey());
            DataBuffer b = e.getValue();
            int held = b.length();
            int skip = nextInOffset - e.getKey();
            if (skip >= held) {
                b.release();
                conn.session().dataInHeld(-held);
                continue;
            }
            DataBuffer rest = skip == 0 ? b : b.retainedSlice(skip, held - skip);
            if (skip != 0) {
                b.release();
            }
            // Counted as queued in the transport before it stops counting as held here, so the
            // total never dips and the window does not flicker open.
            emit(nextInOffset, rest);
            conn.session().dataInHeld(-held);
        }
        if (pendingStatus != null && state == State.RUNNING) {
            ScsiStatus status = pendingStatus;
            ByteBuffer sense = pendingSense;
            pendingStatus = null;
            pendingSense = null;
            finish(status, sense);
        }
    }

    private boolean hasDeferredDataIn() {
        Map.Entry<Integer, DataBuffer> e = inReorder.firstEntry();
        return e != null && e.getKey() <= nextInOffset;
    }

    /**
     * Splits {@code data} at the initiator's MaxRecvDataSegmentLength and at MaxBurstLength
     * sequence boundaries (§13.13, §13.14), keeping the last piece back so that completion can
     * mark it final and, when allowed, carry the status (§11.7.3).
     */
    private void emit(int offset, DataBuffer data) {
        int len = data.length();
        int maxSeg = conn.maxSendSegment();
        int pos = 0;
        boolean passedWhole = false;
        while (pos < len) {
            long abs = (long) offset + pos;
            long burstEnd = (abs / maxBurst + 1) * maxBurst;
            int n = (int) Math.min(Math.min(maxSeg, len - pos), burstEnd - abs);
            DataBuffer piece;
            if (pos == 0 && n == len) {
                piece = data;
                passedWhole = true;
            } else {
                piece = data.retainedSlice(pos, n);
            }
            pushDataIn((int) abs, piece);
            pos += n;
        }
        if (!passedWhole) {
            // Every piece holds its own reference; ours goes.
            data.release();
        }
        nextInOffset = offset + len;
        inBytes += len;
    }

    private void pushDataIn(int offset, DataBuffer piece) {
        if (heldIn != null) {
            boolean endOfBurst = (heldInOffset + heldIn.length()) % maxBurst == 0;
            sendHeldDataIn(endOfBurst, null, false, 0);
        }
        heldIn = piece;
        heldInOffset = offset;
        conn.session().dataInHeld(piece.length());
    }

    private void sendHeldDataIn(boolean fin, ScsiStatus status, boolean overflow, int residual) {
        DataInPdu b = new DataInPdu().itt(itt).dataSn(dataSn++).bufferOffset(heldInOffset).finalFlag(fin);
        if (status != null) {
            b.status(status.code()).residual(overflow, residual);
        }
        DataBuffer d = heldIn;
        heldIn = null;
        int n = d.length();
        conn.sendDataIn(b, d, status != null);
        conn.session().dataInHeld(-n);
    }

    // ---- completion ----

    private void finish(ScsiStatus status, ByteBuffer sense) {
        if (slotTaken) {
            // Free the slot first so the status PDU already advertises it in MaxCmdSN.
            slotTaken = false;
            conn.session().window.taskEnded();
        }
        boolean writeDirection = expectedOut > 0 || (writeFlag && !readFlag);
        long expected = writeDirection ? expectedOut : expectedIn;
        long actual = transferLength >= 0 ? transferLength : writeDirection ? outDelivered : inBytes + inOverflow;
        long diff = actual - expected;
        boolean overflow = diff > 0;
        int residual = (int) Math.min(Math.abs(diff), 0xffffffffL);
        boolean hasSense = sense != null && sense.hasRemaining();
        boolean collapse = heldIn != null && status == ScsiStatus.GOOD && !hasSense && expectedOut == 0;
        if (heldIn != null) {
            if (collapse) {
                sendHeldDataIn(true, status, overflow, residual);
            } else {
                sendHeldDataIn(true, null, false, 0);
            }
        }
        if (!collapse) {
            ScsiResponsePdu r = new ScsiResponsePdu().itt(itt).response(ScsiResponsePdu.RESPONSE_COMPLETED)
                    .status(status.code()).residual(overflow, residual).expDataSn(dataSn + r2tSn);
            if (readFlag && writeFlag) {
                long bidiDiff = inBytes + inOverflow - expectedIn;
                r.bidiResidual(bidiDiff > 0, (int) Math.min(Math.abs(bidiDiff), 0xffffffffL));
            }
            conn.sendResponse(r, hasSense ? DataBuffers.wrap(SenseData.withLengthPrefix(sense)) : null);
        }
        finalStatus = status;
        finalError = status == ScsiStatus.CHECK_CONDITION && hasSense && !unitAttention(sense);
        cleanup();
    }

    /** Sense key UNIT ATTENTION in fixed (70h/71h) or descriptor (72h/73h) format (SPC-4 §4.5). */
    static boolean unitAttention(ByteBuffer sense) {
        int p = sense.position();
        int code = sense.get(p) & 0x7f;
        int keyAt = code >= 0x72 ? 1 : 2;
        return sense.remaining() > keyAt && (sense.get(p + keyAt) & 0x0f) == Sense.UNIT_ATTENTION;
    }

    /**
     * Counts the task in its session's statistics once, when it leaves: with its status if it got
     * one, as an aborted error otherwise (TMF, connection loss). No allocation.
     */
    private void countIn(Session session) {
        if (session == null || held() && finalStatus == null) {
            // Never reached the SCSI core (dropped with the window at session end): not a command run.
            return;
        }
        long bytes = ioKind == IoStatsRecorder.Kind.READ ? inBytes : outDelivered;
        session.ioStats().record(ioKind, bytes, System.nanoTime() - arrivalNanos,
                finalStatus == null || finalError);
    }

    /** Releases everything this task holds and frees its slot. Idempotent. */
    private void cleanup() {
        State was = state;
        if (was == State.DONE) {
            return;
        }
        Session session = conn.session();
        countIn(session);
        state = State.DONE;
        if (heldIn != null) {
            if (session != null) {
                session.dataInHeld(-heldIn.length());
            }
            heldIn.release();
            heldIn = null;
        }
        // Each loop runs only when there is something to release: an iterator over an empty
        // collection is still one allocation per task.
        if (!inReorder.isEmpty()) {
            for (DataBuffer b : inReorder.values()) {
                if (session != null) {
                    session.dataInHeld(-b.length());
                }
                b.release();
            }
            inReorder = NO_BUFFERS;
        }
        if (!chunks.isEmpty()) {
            for (DataBuffer b : chunks.values()) {
                if (session != null) {
                    session.dataOutHeld(-b.length());
                }
                b.release();
            }
            chunks = NO_BUFFERS;
        }
        pendingStatus = null;
        pendingSense = null;
        long unreceived = 0;
        for (int i = 0; i < r2ts.size(); i++) {
            unreceived += r2ts.get(i).length;
        }
        r2ts.clear();
        if (unreceived > 0 && conn.session() != null) {
            conn.session().returnSolicitBudget(unreceived);
        }
        List<DataRequest> pending = requests.isEmpty() ? List.of() : new ArrayList<>(requests);
        requests.clear();
        conn.taskEnded(this, slotTaken);
        for (int i = 0; i < pending.size(); i++) {
            pending.get(i).receiver.failed(Sense.COMMAND_ABORTED);
        }
    }
}
