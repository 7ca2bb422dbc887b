package dev.lunar.scsi.internal.lun;

import dev.lunar.scsi.internal.command.Command;
import dev.lunar.spi.scsi.Sense;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the medium access commands of a logical unit while its backend is being replaced (DESIGN
 * §3.5: {@code bundle:update} of a backend under live sessions), and lets them run on the new
 * device once it is attached, so that the initiator sees a slow command, not an error.
 *
 * <p>Why hold instead of answering NOT READY at once: SBC/SAM initiators treat 04/01 IN PROCESS OF
 * BECOMING READY differently (Linux sd retries with a delay, QEMU's iSCSI driver fails the I/O
 * with EBUSY and the guest sees an I/O error). A short hold is invisible to all of them. The hold
 * is bounded twice: in count by the task set (a held command keeps its task slot, so the
 * {@link LunBinding#QUEUE_DEPTH}th answers TASK SET FULL, which every initiator retries), and in
 * time by the LUN's grace ({@link LunConfig#BACKEND_GRACE_SECONDS}); when the grace ends the held
 * commands and every later one get NOT READY, LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE (04/00,
 * SPC-4 annex F): no longer "becoming ready", since nobody can say whether a backend will come.
 *
 * <p>One per logical unit ({@link #of}). Threads: {@link #offer} runs on a session's I/O thread
 * (from the dispatcher) and never blocks; {@link #begin}, {@link #resume} and {@link #end} run on
 * the LUN management thread; the grace timer fires there too. Everything under this object's
 * monitor; commands are resumed or failed outside it.
 */
public final class BackendHold {

    private static final Logger LOG = LoggerFactory.getLogger(BackendHold.class);

    /** SPC-4 04/00: what held and later commands get once the grace is over. */
    public static final Sense NOT_READY_CAUSE_NOT_REPORTABLE = Sense.of(Sense.NOT_READY, 0x04, 0x00);

    private record Held(Command command, Runnable resume) {
    }

    private final LogicalUnit lu;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private boolean holding;
    /** While no device is attached and nothing is held: the answer, or null for the LU's own NOT READY. */
    private Sense refusal;
    private long since;
    private long epoch;
    private int heldTotal;
    private long lastHoldNanos;
    private long longestHoldNanos;
    private long holds;

    BackendHold(LogicalUnit lu) {
        this.lu = lu;
    }

    /** The hold of {@code lu}, created on first use. */
    public static BackendHold of(LogicalUnit lu) {
        return lu.extension(BackendHold.class, BackendHold::new);
    }

    /**
     * Called by the dispatcher for a started medium access command that found no device. Session
     * I/O thread; does not block.
     *
     * @param resume runs the rest of the command's checks and its handler on the new device;
     *     called once, on the management thread, if the command is held and still live then
     * @return true when the command is held or was answered here; false when the caller answers
     *     (a device was attached meanwhile: it runs at once; or no hold is in progress: the LU's
     *     own NOT READY)
     */
    public boolean offer(Command c, Runnable resume) {
        Sense answer;
        synchronized (this) {
            if (lu.device() != null) {
                return false;
            }
            if (holding) {
                held.add(new Held(c, resume));
                heldTotal++;
                return true;
            }
            answer = refusal;
        }
        if (answer == null) {
            return false;
        }
        c.fail(answer);
        return true;
    }

    /**
     * Starts holding new medium access commands, before the device is detached so that none of
     * them sees a gap. With a grace of 0 nothing is held (NOT READY at once, as before a backend
     * ever bound). Management thread.
     *
     * @param timer where the grace expiry runs (the management executor)
     */
    void begin(long graceMillis, Executor timer) {
        long mine;
        synchronized (this) {
            refusal = null;
            if (graceMillis <= 0 || holding) {
                return;
            }
            holding = true;
            heldTotal = 0;
            since = System.nanoTime();
            mine = ++epoch;
        }
        CompletableFuture.delayedExecutor(graceMillis, TimeUnit.MILLISECONDS, timer).execute(() -> expire(mine,
                graceMillis));
    }

    /**
     * The device is attached again: held commands run, in arrival order, on it. Management
     * thread, after {@code LogicalUnit.attach}.
     *
     * @return how long this hold lasted in milliseconds, or -1 when none was in progress
     */
    long resume() {
        List<Held> go;
        long nanos;
        int total;
        synchronized (this) {
            refusal = null;
            if (!holding) {
                return -1;
            }
            holding = false;
            epoch++;
            nanos = System.nanoTime() - since;
            total = heldTotal;
            lastHoldNanos = nanos;
            longestHoldNanos = Math.max(longestHoldNanos, nanos);
            holds++;
            go = new ArrayList<>(held);
            held.clear();
        }
        LOG.info("{}: backend back after {} ms; resuming {} held command(s) ({} still live)", lu,
                TimeUnit.NANOSECONDS.toMillis(nanos), total, go.stream().filter(h -> h.command.live()).count());
        for (Held h : go) {
            if (h.command.live()) {
                h.resume.run();
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /**
     * Stops holding without a device: held commands and later ones get {@code answer}, or the LU's
     * own NOT READY when it is null (a backend that refused to open: 04/03). Management thread.
     */
    void end(Sense answer) {
        List<Held> gone;
        synchronized (this) {
            holding = false;
            epoch++;
            refusal = answer;
            gone = new ArrayList<>(held);
            held.clear();
        }
        failAll(gone, answer);
    }

    private void expire(long mine, long graceMillis) {
        List<Held> gone;
        synchronized (this) {
            if (!holding || epoch != mine) {
                return;
            }
            holding = false;
            refusal = NOT_READY_CAUSE_NOT_REPORTABLE;
            gone = new ArrayList<>(held);
            held.clear();
        }
        LOG.warn("{}: no backend '{}' within the grace of {} ms; {} held command(s) and later ones get NOT READY"
                + " until one binds", lu, lu.backendKind(), graceMillis, gone.size());
        failAll(gone, NOT_READY_CAUSE_NOT_REPORTABLE);
    }

    private void failAll(List<Held> gone, Sense answer) {
        for (Held h : gone) {
            Sense s = answer != null ? answer : lu.notReadySense();
            h.command.fail(s != null ? s : NOT_READY_CAUSE_NOT_REPORTABLE);
        }
    }

    /** Whether new medium access commands are held now. */
    public synchronized boolean isHolding() {
        return holding;
    }

    /** Commands waiting now. */
    public synchronized int heldNow() {
        return held.size();
    }

    /** Duration of the last completed hold in milliseconds (0: none yet). */
    public synchronized long lastHoldMillis() {
        return TimeUnit.NANOSECONDS.toMillis(lastHoldNanos);
    }

    /** Longest completed hold in milliseconds (0: none yet). */
    public synchronized long longestHoldMillis() {
        return TimeUnit.NANOSECONDS.toMillis(longestHoldNanos);
    }

    /** Holds that ended with the device back. */
    public synchronized long completedHolds() {
        return holds;
    }
}
