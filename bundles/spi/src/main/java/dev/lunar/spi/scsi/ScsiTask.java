package dev.lunar.spi.scsi;

import dev.lunar.spi.buffer.DataBuffer;
import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One SCSI command as the device server sees it, provided by a SCSI transport protocol port (the
 * iscsi bundle). The device server moves data and completes the task through it; the port turns
 * that into Data-In, R2T and SCSI Response PDUs.
 *
 * <p>Threading: the device server may call these methods from any thread, but never two of them
 * at once for the same task. Nothing here blocks.
 */
@ConsumerType
public interface ScsiTask {

    /** The 8-byte SAM LUN field as the initiator sent it. */
    long lun();

    /** The command descriptor block (read-only; position 0). */
    ByteBuffer cdb();

    /** The initiator's task tag, unique among the nexus's outstanding tasks. */
    long tag();

    TaskAttribute attribute();

    /** Expected Data-In length from the initiator (0 when it expects none). */
    int expectedDataInLength();

    /** Expected Data-Out length from the initiator (0 when it sends none). */
    int expectedDataOutLength();

    /**
     * Tells the port how many bytes the CDB itself asks to move, before any data moves. The port
     * limits data movement to the initiator's expected length and reports the difference as an
     * overflow or underflow residual (SAM-5 §5.3; RFC 7143 §11.4.5). Not calling it means the
     * command moves exactly the data sent or received.
     */
    void transferLength(int bytes);

    /**
     * Fetches Data-Out bytes {@code [offset, offset + length)} (from immediate data, unsolicited
     * Data-Out, or by soliciting them). Several requests may be outstanding. {@code receiver} is
     * called exactly once.
     */
    void receiveData(int offset, int length, DataReceiver receiver);

    /**
     * Sends Data-In bytes starting at {@code offset} of the data-in buffer; takes ownership of
     * {@code data}, which the port releases when the bytes have left. Calls for a task may come
     * in any offset order; bytes beyond the expected length are dropped and counted as overflow.
     */
    void sendData(int offset, DataBuffer data);

    /**
     * Ends the task with a status and, for CHECK CONDITION, encoded sense data (fixed or
     * descriptor format, as the device server chose). Called exactly once per task, after every
     * {@link #sendData} for it; ownership of {@code sense} passes to the port.
     */
    void complete(ScsiStatus status, ByteBuffer sense);

    /**
     * The task was aborted by a task management function or a reset; the port sends no response
     * for it (SAM-5 §5.6) and releases what it holds. Called instead of {@link #complete}.
     */
    void aborted();
}
