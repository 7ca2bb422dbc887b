package dev.lunar.iscsi.internal;

import dev.lunar.api.IoStatsRecorder;
import dev.lunar.iscsi.internal.login.SessionParameters;
import dev.lunar.spi.scsi.DeviceServer;
import dev.lunar.spi.scsi.Nexus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI session (RFC 7143 §4.4): negotiated parameters, the CmdSN window, the tasks by
 * initiator task tag and the I_T nexus into the SCSI core. With MaxConnections 1 a session has
 * exactly one connection, and everything here is touched only on that connection's I/O thread.
 */
final class Session {

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final IscsiEngine engine;
    private final SessionParameters parameters;
    private final long isid;
    private final int portalGroupTag;
    private final String nexusKey;
    final CommandWindow window;
    /** Tasks by ITT: held in the window, running, or finishing their Data-In. */
    final TaskTable<IscsiTask> tasks = new TaskTable<>();
    private volatile int tsih;
    private volatile IscsiConnection connection;
    private DeviceServer nexusServer;
    private Nexus nexus;
    private int nextTtt = 1;
    private long solicitBudget;
    private final java.util.ArrayDeque<IscsiTask> starved = new java.util.ArrayDeque<>();
    /** Tasks with Data-In or R2Ts waiting for the connection to become writable. */
    private final java.util.ArrayDeque<IscsiTask> outputWaiters = new java.util.ArrayDeque<>();
    private final long memoryBudget;
    /** Data-Out received and not yet taken by the SCSI core. */
    private long dataOutHeld;
    /** Data-In deferred while not writable, plus Data-In queued in the transport and not yet sent. */
    private long dataInHeld;
    private boolean readingPaused;
    private volatile boolean closed;
    /** Set once the nexus was closed for good (reinstatement, session end): never reopened. */
    private boolean nexusRetired;
    /**
     * The session's I/O counters (TargetService.sessionStats): tasks record into it when they
     * end, on the I/O thread; management threads snapshot it.
     */
    private final IoStatsRecorder ioStats = new IoStatsRecorder();
    /** Completes once, when the session has ended ({@link #close}); for a kill to wait on. */
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    /**
     * While the session has lost its connection and waits for the initiator to continue it: the
     * {@link IscsiEngine#nanoTime()} at which DefaultTime2Retain runs out; 0 otherwise. Guarded by
     * {@code this}, which also orders the failed connection's thread before the continuing one's.
     */
    private long retainedUntil;

    Session(IscsiEngine engine, SessionParameters parameters, long isid, int portalGroupTag, int initialCmdSn,
            int queueDepth) {
        this.engine = engine;
        this.parameters = parameters;
        this.isid = isid;
        this.portalGroupTag = portalGroupTag;
        this.nexusKey = SessionTable.nexusKey(parameters.initiatorName(), isid,
                parameters.discovery() ? null : parameters.targetName());
        this.window = new CommandWindow(initialCmdSn, queueDepth);
        this.solicitBudget = Math.max(engine.settings().maxSolicitedBytes(), parameters.maxBurstLength());
        this.memoryBudget = engine.settings().maxSessionBytes();
    }

    // ---- memory held for the session (DESIGN.md §3.4) ----

    long memoryHeld() {
        return dataOutHeld + dataInHeld;
    }

    boolean readingPaused() {
        return readingPaused;
    }

    /** Data-Out bytes now held in a task's buffers (positive) or handed on / dropped (negative). */
    void dataOutHeld(long delta) {
        dataOutHeld += delta;
        memoryChanged();
    }

    /** Data-In bytes deferred or queued in the transport (positive), or sent / dropped (negative). */
    void dataInHeld(long delta) {
        dataInHeld += delta;
        memoryChanged();
    }

    /**
     * Follows the budget: over it, the window stops growing; back under it, a window that had
     * closed is reopened at once with a NOP-In, since no other PDU may be on its way to carry the
     * new MaxCmdSN. Also decides whether reading from the wire pauses.
     */
    private void memoryChanged() {
        boolean exhausted = memoryHeld() >= memoryBudget;
        boolean wasClosed = window.closed();
        window.memoryExhausted(exhausted);
        IscsiConnection c = connection;
        if (c == null || closed) {
            return;
        }
        if (!exhausted && wasClosed) {
            c.advertiseWindow();
        }
        updateReading();
    }

    /**
     * Reading stops while the connection is not writable (a slow reader must not be handed more
     * commands that produce more Data-In) or while buffered Data-Out exceeds the budget and none
     * of it waits for more bytes from the wire. That last condition avoids a deadlock: data for a
     * command held behind a CmdSN gap, or a request only partly arrived, needs reading to drain.
     */
    void updateReading() {
        IscsiConnection c = connection;
        if (c == null || closed) {
            return;
        }
        boolean pause = !c.writable() || (dataOutHeld >= memoryBudget && !needsWireToDrain());
        if (pause != readingPaused) {
            readingPaused = pause;
            c.transportConnection().setReading(!pause);
        }
    }

    private boolean needsWireToDrain() {
        if (window.heldCount() > 0) {
            return true;
        }
        return tasks.anyMatch(IscsiTask::waitsForDataOut);
    }

    /** A task has output to produce once the connection is writable again. */
    void waitForWritable(IscsiTask task) {
        if (!outputWaiters.contains(task)) {
            outputWaiters.add(task);
        }
    }

    /** The connection became writable: tasks produce their deferred output, in arrival order. */
    void resumeOutput() {
        IscsiConnection c = connection;
        int n = outputWaiters.size();
        for (int i = 0; i < n && !outputWaiters.isEmpty() && c != null && c.writable(); i++) {
            outputWaiters.poll().resumeOutput();
        }
    }

    /** Takes {@code bytes} of the session's R2T budget, or says no (the task then waits). */
    boolean takeSolicitBudget(int bytes) {
        if (bytes > solicitBudget) {
            return false;
        }
        solicitBudget -= bytes;
        return true;
    }

    /** A task waits for budget; it is asked to solicit again when some comes back. */
    void waitForSolicitBudget(IscsiTask task) {
        if (!starved.contains(task)) {
            starved.add(task);
        }
    }

    /** Solicited bytes arrived (or their task ended): wake tasks that were waiting. */
    void returnSolicitBudget(long bytes) {
        solicitBudget += bytes;
        if (closed) {
            starved.clear();
            return;
        }
        int n = starved.size();
        for (int i = 0; i < n && !starved.isEmpty(); i++) {
            starved.poll().solicitMore();
        }
    }

    SessionParameters parameters() {
        return parameters;
    }

    long isid() {
        return isid;
    }

    int tsih() {
        return tsih;
    }

    void assignTsih(int tsih) {
        this.tsih = tsih;
    }

    String nexusKey() {
        return nexusKey;
    }

    IscsiConnection connection() {
        return connection;
    }

    void attach(IscsiConnection c) {
        this.connection = c;
    }

    /**
     * The session's only connection {@code c} failed (not a logout, not a reinstatement). At ERL 0
     * its tasks end here, nothing can be reassigned; a normal session with a non-zero
     * DefaultTime2Retain is then kept that long with its I_T nexus open (reservations, unit
     * attentions, mode pages are the nexus's and stay) so that the initiator can continue it by
     * logging in with its TSIH (RFC 7143 §6.3.6 session continuation; §7.3 state Q4 FAILED, N9
     * session timeout). Otherwise, or once the time runs out ({@link #expireIfDue}), it ends as by
     * {@link #close}. On {@code c}'s I/O thread.
     *
     * @return whether the session is retained
     */
    boolean connectionFailed(IscsiConnection c, long now) {
        int retainSeconds = parameters.discovery() ? 0 : parameters.defaultTime2Retain();
        if (closed || connection != c || retainSeconds == 0) {
            close();
            return false;
        }
        // No connection first: budget and memory callbacks of the ending tasks then wake nothing.
        connection = null;
        endTasks();
        readingPaused = false;
        synchronized (this) {
            retainedUntil = now + TimeUnit.SECONDS.toNanos(retainSeconds);
            if (retainedUntil == 0) {
                retainedUntil = 1;
            }
        }
        LOG.info("Session {} ({}, ISID {}) kept for {} s (DefaultTime2Retain) for its initiator to continue it",
                tsih, parameters.initiatorName(), isidHex(), retainSeconds);
        return true;
    }

    /**
     * Held commands are dropped and running tasks lose their buffers (ERL 0: nothing is
     * reassigned); nothing waits for output or solicit budget any more. Session end or a failed
     * connection; on the I/O thread that had the session.
     */
    private void endTasks() {
        outputWaiters.clear();
        starved.clear();
        window.discardAll();
        for (IscsiTask t : tasks.snapshot(IscsiTask[]::new)) {
            t.connectionLost();
        }
        tasks.clear();
    }

    /** Whether the session lost its connection and waits to be continued. Any thread. */
    synchronized boolean retained() {
        return retainedUntil != 0 && !closed;
    }

    /**
     * A login with this session's TSIH reached full feature phase on {@code c}: the session goes
     * on there. Commands the failed connection carried ended with it, so numbering restarts at the
     * Login Request's CmdSN, the next command of the initiator's stream (RFC 7143 §11.12.8). On
     * {@code c}'s I/O thread.
     *
     * @return false when the session ended meanwhile (DefaultTime2Retain ran out, a kill)
     */
    synchronized boolean continueWith(IscsiConnection c, int cmdSn) {
        if (closed || retainedUntil == 0) {
            return false;
        }
        retainedUntil = 0;
        window.restartAt(cmdSn);
        connection = c;
        return true;
    }

    /** Ends a retained session whose DefaultTime2Retain ran out. Any thread (the engine's timer). */
    synchronized void expireIfDue(long now) {
        if (retainedUntil != 0 && now - retainedUntil >= 0) {
            LOG.info("Session {} ({}, ISID {}) ended: not continued within DefaultTime2Retain", tsih,
                    parameters.initiatorName(), isidHex());
            endRetained();
        }
    }

    /** Ends the session now if it is retained (reinstatement, a kill, its target removed). Any thread. */
    synchronized boolean endRetained() {
        if (retainedUntil == 0 || closed) {
            return false;
        }
        retainedUntil = 0;
        close();
        return true;
    }

    boolean closed() {
        return closed;
    }

    IoStatsRecorder ioStats() {
        return ioStats;
    }

    /** Completes (on the I/O thread that closed the session) once the session has ended. */
    CompletableFuture<Void> ended() {
        return ended;
    }

    /** A Target Transfer Tag unique among this session's live transfers; never 0xffffffff. */
    int newTargetTransferTag() {
        int t = nextTtt++;
        if (nextTtt == 0xffffffff) {
            nextTtt = 1;
        }
        return t;
    }

    String isidHex() {
        return String.format("%012x", isid);
    }

    /**
     * The nexus to the SCSI core, opened on first use and reopened when the DeviceServer was
     * replaced (a scsi bundle update keeps the session; DESIGN.md §3.5). {@code null} when no
     * DeviceServer is bound: commands then get BUSY. Synchronized only because reinstatement
     * closes the nexus from the new session's thread (uncontended otherwise).
     */
    synchronized Nexus nexus() {
        if (nexusRetired) {
            return null;
        }
        DeviceServer server = engine.deviceServer();
        if (server != nexusServer) {
            closeNexus();
            if (server != null) {
                String target = parameters.targetName();
                nexus = server.openNexus(target, parameters.initiatorName() + ",i,0x" + isidHex(),
                        target + ",t,0x" + String.format("%04x", portalGroupTag), portalGroupTag, false);
                nexusServer = server;
            }
        }
        return nexus;
    }

    /** Closes the nexus for good; later commands of this (ending) session get BUSY. Any thread. */
    synchronized void retireNexus() {
        nexusRetired = true;
        closeNexus();
    }

    /**
     * Ends the I_T nexus now: a reinstating login calls it before the new session can open a
     * nexus of the same name, so the SCSI core never sees the old close after the new open.
     */
    synchronized void closeNexus() {
        Nexus n = nexus;
        nexus = null;
        nexusServer = null;
        if (n != null) {
            try {
                n.close();
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("Session {}: closing the nexus failed", tsih, e);
            }
        }
    }

    /**
     * Ends the session: held commands are dropped, running tasks lose their buffers, the nexus is
     * closed (I_T nexus loss: the SCSI core aborts the tasks), the table forgets the session.
     * On the I/O thread; idempotent.
     */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        endTasks();
        retireNexus();
        engine.sessionTable().remove(this);
        ended.complete(null);
    }
}
