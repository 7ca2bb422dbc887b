package dev.lunar.scsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.DataReceiver;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * A test-only SCSI port task: supplies a CDB and Data-Out, captures Data-In (by offset), the
 * transfer length, status and sense, and checks the device server's contract (one completion,
 * nothing after it, no data after an abort). Data-Out is delivered at once unless
 * {@link #holdDataOut()} was called, in which case {@link #deliverDataOut()} releases it.
 */
public final class TestPort implements ScsiTask {

    private final long lun;
    private final byte[] cdb;
    private final long tag;
    private final TaskAttribute attribute;
    private final int expectedIn;
    private final byte[] dataOut;

    private byte[] dataIn = new byte[0];
    private int dataInHigh;
    private int transferLength = -1;
    private ScsiStatus status;
    private byte[] sense;
    private int completions;
    private boolean aborted;
    private boolean holdDataOut;
    private final Deque<Runnable> heldDataOut = new ArrayDeque<>();
    private int dataOutRequests;

    public TestPort(long lun, byte[] cdb, long tag, TaskAttribute attribute, int expectedIn, byte[] dataOut) {
        this.lun = lun;
        this.cdb = cdb;
        this.tag = tag;
        this.attribute = attribute;
        this.expectedIn = expectedIn;
        this.dataOut = dataOut == null ? new byte[0] : dataOut;
    }

    public TestPort holdDataOut() {
        holdDataOut = true;
        return this;
    }

    /** Delivers the Data-Out requests held so far; returns how many. */
    public synchronized int deliverDataOut() {
        int n = 0;
        while (!heldDataOut.isEmpty()) {
            heldDataOut.poll().run();
            n++;
        }
        return n;
    }

    @Override
    public long lun() {
        return lun;
    }

    @Override
    public ByteBuffer cdb() {
        return ByteBuffer.wrap(cdb).asReadOnlyBuffer();
    }

    @Override
    public long tag() {
        return tag;
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
        return dataOut.length;
    }

    @Override
    public synchronized void transferLength(int bytes) {
        assertAlive("transferLength");
        transferLength = bytes;
    }

    @Override
    public synchronized void receiveData(int offset, int length, DataReceiver receiver) {
        assertAlive("receiveData");
        dataOutRequests++;
        Runnable deliver = () -> {
            if (aborted) {
                receiver.failed(dev.lunar.spi.scsi.Sense.COMMAND_ABORTED);
                return;
            }
            byte[] piece = new byte[length];
            if (offset < dataOut.length) {
                System.arraycopy(dataOut, offset, piece, 0, Math.min(length, dataOut.length - offset));
            }
            receiver.received(DataBuffers.wrap(piece));
        };
        if (holdDataOut) {
            heldDataOut.add(deliver);
        } else {
            deliver.run();
        }
    }

    @Override
    public synchronized void sendData(int offset, DataBuffer data) {
        try {
            assertAlive("sendData");
            int end = offset + data.length();
            if (end > dataIn.length) {
                dataIn = Arrays.copyOf(dataIn, Math.max(end, dataIn.length * 2));
            }
            data.copyTo(0, ByteBuffer.wrap(dataIn, offset, data.length()));
            dataInHigh = Math.max(dataInHigh, end);
        } finally {
            data.release();
        }
    }

    @Override
    public synchronized void complete(ScsiStatus status, ByteBuffer sense) {
        assertAlive("complete");
        completions++;
        this.status = status;
        if (sense != null) {
            this.sense = new byte[sense.remaining()];
            sense.get(this.sense);
        }
    }

    @Override
    public synchronized void aborted() {
        assertAlive("aborted");
        aborted = true;
    }

    private void assertAlive(String what) {
        if (completions > 0 || aborted) {
            fail(what + " called after the task ended (tag " + tag + ")");
        }
    }

    // ------------------------------------------------------------ inspection

    public synchronized boolean done() {
        return completions > 0 || aborted;
    }

    public synchronized boolean wasAborted() {
        return aborted;
    }

    public synchronized ScsiStatus status() {
        return status;
    }

    public synchronized byte[] sense() {
        return sense;
    }

    public synchronized int transferLengthSet() {
        return transferLength;
    }

    public synchronized int dataOutRequests() {
        return dataOutRequests;
    }

    /** Data-In received, up to the highest offset written. */
    public synchronized byte[] dataIn() {
        return Arrays.copyOf(dataIn, dataInHigh);
    }

    public int senseKey() {
        byte[] s = sense();
        return (s[0] & 0x7f) == 0x72 ? s[1] & 0x0f : s[2] & 0x0f;
    }

    public int asc() {
        byte[] s = sense();
        return (s[0] & 0x7f) == 0x72 ? s[2] & 0xff : s[12] & 0xff;
    }

    public int ascq() {
        byte[] s = sense();
        return (s[0] & 0x7f) == 0x72 ? s[3] & 0xff : s[13] & 0xff;
    }

    /** The three SENSE KEY SPECIFIC bytes (fixed format), 0 if none. */
    public int senseKeySpecific() {
        byte[] s = sense();
        if ((s[0] & 0x7f) == 0x72) {
            for (int p = 8; p + 1 < s.length; p += 2 + (s[p + 1] & 0xff)) {
                if (s[p] == 0x02) {
                    return ((s[p + 4] & 0xff) << 16) | ((s[p + 5] & 0xff) << 8) | (s[p + 6] & 0xff);
                }
            }
            return 0;
        }
        return ((s[15] & 0xff) << 16) | ((s[16] & 0xff) << 8) | (s[17] & 0xff);
    }

    public void assertGood() {
        assertTrue(done(), "task not completed");
        assertEquals(ScsiStatus.GOOD, status(), () -> "expected GOOD, got " + status() + " " + senseString());
    }

    public void assertCheckCondition(int key, int asc, int ascq) {
        assertTrue(done(), "task not completed");
        assertEquals(ScsiStatus.CHECK_CONDITION, status(), "status");
        assertEquals(String.format("%x/%02x/%02x", key, asc, ascq),
                String.format("%x/%02x/%02x", senseKey(), asc(), ascq()), "sense");
    }

    /** CHECK CONDITION, INVALID FIELD IN CDB with a field pointer at {@code byteOffset}/{@code bit}. */
    public void assertInvalidField(int byteOffset, int bit) {
        assertCheckCondition(0x5, 0x24, 0x00);
        int sks = senseKeySpecific();
        assertEquals(0xc0, (sks >>> 16) & 0xc0, "SKSV and C/D");
        assertEquals(byteOffset, sks & 0xffff, "field pointer byte");
        if (bit >= 0) {
            assertEquals(0x08 | bit, (sks >>> 16) & 0x0f, "BPV and bit pointer");
        }
    }

    public String senseString() {
        byte[] s = sense();
        return s == null ? "" : String.format("%x/%02x/%02x", senseKey(), asc(), ascq());
    }
}
