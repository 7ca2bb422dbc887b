package dev.lunar.iscsi.internal;

import dev.lunar.iscsi.internal.login.AuthConfig;
import dev.lunar.iscsi.internal.login.LoginContext;
import dev.lunar.iscsi.internal.login.LoginNegotiator;
import dev.lunar.iscsi.internal.login.LoginRequest;
import dev.lunar.iscsi.internal.login.LoginResponse;
import dev.lunar.iscsi.internal.login.LoginStep;
import dev.lunar.iscsi.internal.login.NegotiationDefaults;
import dev.lunar.iscsi.internal.login.SendTargetsResponder;
import dev.lunar.iscsi.internal.login.SessionCheck;
import dev.lunar.iscsi.internal.login.SessionParameters;
import dev.lunar.iscsi.internal.login.TargetConfig;
import dev.lunar.pdu.AsyncMessagePdu;
import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.DataInPdu;
import dev.lunar.pdu.DataOutPdu;
import dev.lunar.pdu.LoginRequestPdu;
import dev.lunar.pdu.LoginResponsePdu;
import dev.lunar.pdu.LogoutRequestPdu;
import dev.lunar.pdu.LogoutResponsePdu;
import dev.lunar.pdu.NopInPdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.PduValidator;
import dev.lunar.pdu.PduViolation;
import dev.lunar.pdu.R2tPdu;
import dev.lunar.pdu.RejectPdu;
import dev.lunar.pdu.ScsiCommandPdu;
import dev.lunar.pdu.SerialNumber;
import dev.lunar.pdu.TargetPduBuilder;
import dev.lunar.pdu.TextRequestPdu;
import dev.lunar.pdu.TextResponsePdu;
import dev.lunar.pdu.TmfRequestPdu;
import dev.lunar.pdu.TmfResponsePdu;
import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextAccumulator;
import dev.lunar.pdu.text.TextCodec;
import dev.lunar.pdu.text.TextFormatException;
import dev.lunar.spi.buffer.BufferAllocator;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Nexus;
import dev.lunar.spi.scsi.TaskAttribute;
import dev.lunar.spi.scsi.TaskManagementFunction;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.Transport;
import dev.lunar.spi.transport.TransportLimits;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target side of one iSCSI connection (RFC 7143): the login phase driven by the
 * {@link LoginNegotiator}, then the full feature phase, then logout. Receives whole PDUs from the
 * transport and answers them; owns the connection's StatSN and, with MaxConnections 1, its
 * session's state.
 *
 * <p>Threading: everything runs on the connection's I/O thread. Calls from the SCSI core (task
 * completions, Data-In, TMF results) hop there through {@link #runOnIo}. Nothing blocks.
 *
 * <p>Hand-over (DESIGN.md §3.5): the transport connection underneath may change while the
 * session lives. Work from other threads goes through one FIFO mailbox drained on the current
 * I/O thread, so a {@link #park() park} request queued behind earlier completions is a barrier:
 * everything submitted before it has run (and been sent) when the connection detaches, and
 * everything after it waits in the mailbox, in order, for the adopting transport's I/O thread.
 * While parked, the connection is owned by whoever parked it (ConnectionHandover), not by any I/O
 * thread.
 */
final class IscsiConnection implements ConnectionListener, LoginContext {

    private static final Logger LOG = LoggerFactory.getLogger(IscsiConnection.class);

    enum Phase { LOGIN, FULL_FEATURE, LOGGED_OUT, CLOSED }

    @FunctionalInterface
    private interface PduHandler {
        /** Takes ownership of {@code pdu}. */
        void handle(IscsiConnection c, Pdu pdu);
    }

    /** Full feature phase dispatch by opcode (STYLE rule 14). */
    private static final PduHandler[] FULL_FEATURE = new PduHandler[Opcode.COUNT];

    static {
        FULL_FEATURE[Opcode.NOP_OUT] = IscsiConnection::nopOut;
        FULL_FEATURE[Opcode.SCSI_COMMAND] = IscsiConnection::scsiCommand;
        FULL_FEATURE[Opcode.TMF_REQUEST] = (c, p) -> c.sequenced(p, () -> c.taskManagement(p));
        FULL_FEATURE[Opcode.LOGIN_REQUEST] = (c, p) -> c.rejectCommand(p, RejectPdu.PROTOCOL_ERROR,
                "Login Request in full feature phase");
        FULL_FEATURE[Opcode.TEXT_REQUEST] = (c, p) -> c.sequenced(p, () -> c.text(p));
        FULL_FEATURE[Opcode.DATA_OUT] = IscsiConnection::dataOut;
        FULL_FEATURE[Opcode.LOGOUT_REQUEST] = (c, p) -> c.sequenced(p, () -> c.logout(p));
        // SNACK needs ErrorRecoveryLevel > 0 (RFC 7143 §7.1.4.1); at ERL 0 it is a protocol error.
        FULL_FEATURE[Opcode.SNACK] = (c, p) -> c.rejectCommand(p, RejectPdu.PROTOCOL_ERROR, "SNACK at ErrorRecoveryLevel 0");
    }

    private final IscsiEngine engine;
    /** The transport connection carrying this one now; replaced when adopted by another transport. */
    private volatile Connection conn;
    /** The transport service that carries {@link #conn} (null when unknown, e.g. in tests). */
    private volatile Transport carrier;
    /** The portal this connection belongs to; follows the portal when it re-listens on a new transport. */
    private volatile PortalBinding portal;
    /** Work from other threads, in submission order, run on the I/O thread (see class comment). */
    private final ConcurrentLinkedQueue<Deferred> mailbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    /** Quiesced for a hand-over: the mailbox is not drained and nothing is sent until adopted. */
    private volatile boolean parked;
    /** Parked and given up (nobody adopted it): what arrives now is refused. */
    private volatile boolean abandoned;
    /** When the last park started ({@link IscsiEngine#nanoTime()}); for the stall measurement. */
    private volatile long parkedSince;
    private Phase phase = Phase.LOGIN;
    private int statSn;
    private boolean dirty;
    private boolean warned;
    /** The transport's send queue is below its high water mark (ConnectionListener#writabilityChanged). */
    private boolean writable = true;
    private boolean windowAdvertPending;
    /** The oldest StatSN the initiator may still acknowledge: ExpStatSN never goes below it (§4.2.2.2). */
    private int statSnAcked;
    private boolean expStatSnWarned;
    /** Internal errors caught on this connection (tests assert none: bad input is not one). */
    int internalErrors;

    // Login phase
    private LoginNegotiator negotiator;
    private boolean loginStarted;
    private long loginIsid;
    private int loginTsih;
    private int loginCid;
    private int loginCmdSn;

    private Session session;
    private int maxRecv = ConnectionSettings.LOGIN.maxRecvDataSegmentLength();
    private int maxSend = ConnectionSettings.LOGIN.maxSendDataSegmentLength();

    // Text exchange in full feature phase (RFC 7143 §11.10)
    private TextAccumulator textIn;
    private byte[] textOut;
    private int textOutPos;
    private int textTtt = Bhs.RESERVED_TAG;
    private int textItt = Bhs.RESERVED_TAG;

    // Target pings (RFC 7143 §11.19)
    private long lastActivity;
    private int pingTtt = Bhs.RESERVED_TAG;
    private long pingSent;
    private final long connectedAt;

    IscsiConnection(IscsiEngine engine, Connection conn, PortalBinding portal) {
        this.engine = engine;
        this.conn = conn;
        this.portal = portal;
        this.carrier = portal.transport();
        this.lastActivity = engine.nanoTime();
        this.connectedAt = lastActivity;
    }

    String id() {
        return conn.id();
    }

    Logger log() {
        return LOG;
    }

    Phase phase() {
        return phase;
    }

    Session session() {
        return session;
    }

    Connection transportConnection() {
        return conn;
    }

    /** The transport service carrying this connection now, or null when unknown. */
    Transport carrier() {
        return carrier;
    }

    boolean parked() {
        return parked;
    }

    BufferAllocator allocator() {
        return conn.allocator();
    }

    /**
     * Whether initiator misbehaviour should be logged at WARN: the first time per connection
     * (STYLE rule 10); later occurrences go to DEBUG so a broken initiator cannot flood the log.
     */
    boolean warnOnce() {
        if (warned) {
            return false;
        }
        warned = true;
        return true;
    }

    /** Whether output (Data-In, R2T) may be produced now; false while the transport's queue is full. */
    boolean writable() {
        return writable;
    }

    /** The initiator's MaxRecvDataSegmentLength: the largest data segment we may send. */
    int maxSendSegment() {
        return maxSend;
    }

    // ------------------------------------------------------------------ receive

    @Override
    public void pduReceived(Connection c, Pdu pdu) {
        if (c != conn) {
            adoptedBy(c);
        }
        if (parked) {
            // A transport that delivers after detach() started (the SPI allows the PDU being
            // framed): it waits in order behind the mailbox.
            // Run it as a PDU of whichever connection carries this one by then.
            enqueue(new Deferred(() -> pduReceived(conn, pdu), pdu::release));
            return;
        }
        try {
            lastActivity = engine.nanoTime();
            if (phase == Phase.LOGGED_OUT || phase == Phase.CLOSED) {
                pdu.release();
                return;
            }
            PduViolation v = PduValidator.validate(pdu, maxRecv);
            if (v != null) {
                if (phase == Phase.LOGIN) {
                    pdu.release();
                    failLogin(LoginResponse.INITIATOR_ERROR, v.message());
                } else {
                    rejectCommand(pdu, v.rejectReason(), v.message());
                }
                return;
            }
            if (pdu.dataDigestFailed()) {
                dataDigestError(pdu);
                return;
            }
            if (phase == Phase.LOGIN) {
                login(pdu);
            } else {
                checkExpStatSn(pdu.header());
                FULL_FEATURE[pdu.opcode()].handle(this, pdu);
            }
        } catch (RuntimeException | LinkageError e) {
            // Never let malformed input escape into the transport (DESIGN.md §3.7); LinkageError
            // is what a bundle refreshed under a call looks like.
            internalErrors++;
            LOG.warn("Connection {}: closing after an internal error on {}", conn.id(), Bhs.describe(pdu.header()), e);
            pdu.release();
            terminate(true);
        } finally {
            flushIfDirty();
        }
    }

    /**
     * The transport's send queue crossed a water mark. Not writable: tasks stop producing Data-In
     * and R2Ts (what they get meanwhile is held and counted against the session's memory, which
     * stops MaxCmdSN) and reading pauses, so no new command adds output. Writable: the deferred
     * output is produced, from a fresh task on the I/O thread, because the transport may call this
     * from inside a flush, where anything sent would sit unflushed.
     */
    @Override
    public void writabilityChanged(Connection c, boolean nowWritable) {
        if (c != conn) {
            adoptedBy(c);
        }
        if (writable == nowWritable) {
            return;
        }
        writable = nowWritable;
        Session s = session;
        if (phase != Phase.FULL_FEATURE || s == null) {
            return;
        }
        s.updateReading();
        if (nowWritable) {
            runLater(() -> {
                if (writable && phase == Phase.FULL_FEATURE) {
                    s.resumeOutput();
                }
            });
        }
    }

    /**
     * Sends a NOP-In that only carries ExpCmdSN and MaxCmdSN (ITT and TTT 0xffffffff: no answer
     * wanted, StatSN not advanced, RFC 7143 §11.19): the window had closed for lack of memory and
     * memory came back without a response to announce it. Deferred to a fresh task because memory
     * comes back in send completions, which may run inside a flush.
     */
    void advertiseWindow() {
        if (windowAdvertPending || phase != Phase.FULL_FEATURE) {
            return;
        }
        windowAdvertPending = true;
        runLater(() -> {
            windowAdvertPending = false;
            // Only if the window really grew: memory may be exhausted again by now.
            if (phase == Phase.FULL_FEATURE && session != null
                    && session.window.advertisedMaxCmdSn() != session.window.maxCmdSn()) {
                send(fill(new NopInPdu().itt(Bhs.RESERVED_TAG).ttt(Bhs.RESERVED_TAG).statSn(statSn)).toPdu());
            }
        });
    }

    /**
     * ExpStatSN acknowledges every status below it (RFC 7143 §4.2.2.2). A value outside
     * [last acknowledged, next StatSN] is a confused or hostile initiator: it is logged (WARN once
     * per connection) and ignored, never trusted and never fatal. At ERL 0 no status is kept for
     * retransmission, so the acknowledgement frees nothing; it is tracked to detect a peer that
     * fell behind. Every initiator PDU carries ExpStatSN at byte 28.
     */
    private void checkExpStatSn(ByteBuffer h) {
        int exp = h.getInt(28);
        if (SerialNumber.lessOrEqual(statSnAcked, exp) && SerialNumber.lessOrEqual(exp, statSn)) {
            statSnAcked = exp;
            return;
        }
        if (exp == statSn + 1) {
            // libiscsi reads the StatSN of an R2T (RFC 7143 §11.8.3: the next StatSN, not advanced)
            // as a status it received and acknowledges one past it. Harmless at ERL 0, where no
            // status is kept for retransmission; not worth a warning for a common initiator.
            LOG.debug("Connection {}: ExpStatSN {} one past the next StatSN (libiscsi after an R2T)", conn.id(),
                    Integer.toUnsignedString(exp));
            return;
        }
        if (!expStatSnWarned) {
            expStatSnWarned = true;
            LOG.warn("Connection {}: ExpStatSN {} outside [{}, {}] in {}; ignored (further ones at DEBUG)", conn.id(),
                    Integer.toUnsignedString(exp), Integer.toUnsignedString(statSnAcked),
                    Integer.toUnsignedString(statSn), Bhs.describe(h));
        } else {
            LOG.debug("Connection {}: ExpStatSN {} outside [{}, {}] ignored", conn.id(), Integer.toUnsignedString(exp),
                    Integer.toUnsignedString(statSnAcked), Integer.toUnsignedString(statSn));
        }
    }

    @Override
    public void closed(Connection c, Throwable cause) {
        if (c != conn) {
            adoptedBy(c);
        }
        if (phase == Phase.CLOSED) {
            return;
        }
        if (parked) {
            // The old transport closed a connection whose detach had not completed (it stopped
            // before the hand-over finished): the session ends as on any connection loss.
            parked = false;
            abandoned = true;
            releaseMailbox();
        }
        Phase was = phase;
        phase = Phase.CLOSED;
        portal.connections.remove(this);
        engine.connectionClosed(this);
        negotiator = null;
        if (session != null && session.connection() == this) {
            if (was == Phase.FULL_FEATURE) {
                LOG.info("Session {} ({}) lost its connection {}{}", session.tsih(), session.parameters().initiatorName(),
                        conn.id(), cause == null ? "" : ": " + cause.getMessage());
            }
            sessionLost(was);
        }
    }

    /**
     * The connection of a session failed: a session in full feature phase may be retained for
     * its initiator to continue ({@link Session#connectionFailed}); one still logging in ends.
     * Once retained it is no longer this connection's: late completions of the ended tasks find
     * no session here.
     */
    private void sessionLost(Phase was) {
        Session s = session;
        if (was == Phase.FULL_FEATURE && s.connectionFailed(this, engine.nanoTime())) {
            session = null;
        } else {
            s.close();
        }
    }

    /**
     * A PDU whose data digest failed (RFC 7143 §7.8): the header is intact, the data is not. It is
     * rejected with reason 0x02. At ERL 0 nothing can be retransmitted (no SNACK, no recovery
     * R2T), so a Data-Out's task ends with CHECK CONDITION; a command's CmdSN counts as received.
     */
    private void dataDigestError(Pdu pdu) {
        ByteBuffer h = pdu.header();
        if (phase == Phase.FULL_FEATURE && Bhs.opcode(h) == Opcode.DATA_OUT) {
            pdu.release();
            rejectHeader(h, RejectPdu.DATA_DIGEST_ERROR, "data digest error");
            IscsiTask task = session.tasks.get(Bhs.itt(h));
            if (task != null) {
                task.dataDigestError();
            }
        } else if (phase == Phase.FULL_FEATURE) {
            rejectCommand(pdu, RejectPdu.DATA_DIGEST_ERROR, "data digest error");
        } else {
            pdu.release();
            failLogin(LoginResponse.INITIATOR_ERROR, "data digest error during login");
        }
    }

    // ------------------------------------------------------------------ login (RFC 7143 §6)

    private void login(Pdu pdu) {
        ByteBuffer h = pdu.header();
        if (Bhs.opcode(h) != Opcode.LOGIN_REQUEST) {
            pdu.release();
            failLogin(LoginResponse.INVALID_DURING_LOGIN, Opcode.name(Bhs.opcode(h)) + " during login");
            return;
        }
        byte[] text = pdu.data() == null ? new byte[0] : pdu.data().toByteArray();
        pdu.release();
        LoginRequest req = new LoginRequest(LoginRequestPdu.versionMax(h), LoginRequestPdu.versionMin(h),
                LoginRequestPdu.transit(h), LoginRequestPdu.continues(h), LoginRequestPdu.currentStage(h),
                LoginRequestPdu.nextStage(h), LoginRequestPdu.isid(h), LoginRequestPdu.tsih(h), Bhs.itt(h),
                LoginRequestPdu.cid(h), LoginRequestPdu.cmdSn(h), LoginRequestPdu.expStatSn(h), text);
        if (!loginStarted) {
            loginStarted = true;
            loginIsid = req.isid();
            loginTsih = req.tsih();
            loginCid = req.cid();
            loginCmdSn = req.cmdSN();
            // The first Login Response starts the connection's StatSN (§11.13.4); continuing from
            // what the initiator expects is as good a start as any.
            statSn = req.expStatSN();
            statSnAcked = statSn;
            negotiator = new LoginNegotiator(this, engine.random());
        } else if (req.isid() != loginIsid || req.tsih() != loginTsih) {
            failLogin(LoginResponse.INITIATOR_ERROR, "ISID or TSIH changed during login");
            return;
        }
        loginCmdSn = req.cmdSN();
        LoginStep step;
        try {
            step = negotiator.handle(req);
        } catch (RuntimeException e) {
            LOG.warn("Connection {}: login negotiation failed internally", conn.id(), e);
            step = new LoginStep(LoginResponse.status(req.csg(), LoginResponse.TARGET_ERROR, null), LoginStep.Outcome.FAILED, null);
        }
        LoginResponse resp = step.response();
        LoginStep.Outcome outcome = step.outcome();
        int tsih = loginTsih;
        Session started = null;
        if (outcome == LoginStep.Outcome.FULL_FEATURE) {
            SessionParameters p = step.parameters();
            if (!p.discovery() && engine.deviceServer() == null) {
                // No SCSI core to serve a normal session (RFC 7143 §11.13.5: 0x0301).
                resp = LoginResponse.status(resp.csg(), LoginResponse.SERVICE_UNAVAILABLE, null);
                outcome = LoginStep.Outcome.FAILED;
            } else if (loginTsih != 0) {
                // The negotiator admitted the TSIH (checkSession: a retained session of this
                // initiator, ISID and target); it may have ended since.
                Session retained = engine.sessionTable().byTsih(loginTsih);
                if (retained != null && retained.continueWith(this, loginCmdSn)) {
                    started = retained;
                } else {
                    resp = LoginResponse.status(resp.csg(), LoginResponse.SESSION_DOES_NOT_EXIST, null);
                    outcome = LoginStep.Outcome.FAILED;
                }
            } else {
                started = new Session(engine, p, loginIsid, portal.portalGroupTag(), loginCmdSn, engine.settings().queueDepth());
                SessionTable.Registration reg = engine.sessionTable().register(started);
                if (reg.displaced() != null) {
                    engine.reinstated(reg.displaced());
                }
                if (reg.tsih() == 0) {
                    resp = LoginResponse.status(resp.csg(), LoginResponse.OUT_OF_RESOURCES, null);
                    outcome = LoginStep.Outcome.FAILED;
                    started = null;
                } else {
                    tsih = reg.tsih();
                }
            }
        }
        int maxCmdSn = started != null ? started.window.maxCmdSn() : loginCmdSn + engine.settings().queueDepth() - 1;
        LoginResponsePdu out = new LoginResponsePdu().transit(resp.transit()).continues(resp.cont())
                .stages(resp.csg(), resp.nsg()).versions(0, 0).isid(loginIsid).tsih(tsih).itt(req.itt())
                .statSn(statSn++).expCmdSn(loginCmdSn).maxCmdSn(maxCmdSn).status(resp.statusClass(), resp.statusDetail());
        send(out.toPdu(resp.text().length == 0 ? null : DataBuffers.wrap(resp.text())));
        if (outcome == LoginStep.Outcome.FAILED) {
            LOG.info("Connection {}: login failed with status 0x{}", conn.id(), Integer.toHexString(resp.status()));
            phase = Phase.LOGGED_OUT;
            flushIfDirty();
            conn.close(true);
        } else if (outcome == LoginStep.Outcome.FULL_FEATURE) {
            enterFullFeaturePhase(started, step.parameters());
        }
    }

    /**
     * @param p what this login negotiated: for a continued session only its connection values
     *     (digests, MaxRecvDataSegmentLength) are new, the session's own hold the rest
     */
    private void enterFullFeaturePhase(Session s, SessionParameters p) {
        boolean continued = s.connection() == this;
        session = s;
        s.attach(this);
        negotiator = null;
        phase = Phase.FULL_FEATURE;
        maxRecv = p.targetMaxRecvDataSegmentLength();
        maxSend = p.maxRecvDataSegmentLength();
        // Queued after the final Login Response, so digests start with the next PDU each way.
        flushIfDirty();
        conn.configure(new ConnectionSettings(p.headerDigest(), p.dataDigest(), maxRecv, maxSend));
        if (continued) {
            LOG.info("Session {} ({}, ISID {}) continued on {} ({}) at CmdSN {}", s.tsih(), p.initiatorName(),
                    s.isidHex(), conn.id(), conn.transportKind(), s.window.expCmdSn());
        } else {
            LOG.info("Session {} ({}, ISID {}) logged in to {} via {} ({})", s.tsih(), p.initiatorName(), s.isidHex(),
                    p.discovery() ? "discovery" : p.targetName(), conn.id(), conn.transportKind());
        }
    }

    private void failLogin(int status, String why) {
        LOG.warn("Connection {}: login rejected: {}", conn.id(), why);
        LoginResponsePdu out = new LoginResponsePdu().versions(0, 0).isid(loginIsid).tsih(loginTsih)
                .statSn(statSn++).expCmdSn(loginCmdSn).maxCmdSn(loginCmdSn).status(status >>> 8, status & 0xff);
        send(out.toPdu());
        phase = Phase.LOGGED_OUT;
        flushIfDirty();
        conn.close(true);
    }

    // ------------------------------------------------------------------ command numbering

    /**
     * Runs a non-SCSI command in CmdSN order (RFC 7143 §3.2.2.1): immediate ones at once, the
     * expected one at once and then whatever it unblocks, early ones later, the rest never.
     */
    private void sequenced(Pdu pdu, Runnable action) {
        ByteBuffer h = pdu.header();
        if (Bhs.immediate(h)) {
            action.run();
            return;
        }
        int cmdSn = Bhs.sn(h);
        CommandWindow w = session.window;
        switch (w.classify(cmdSn)) {
            case DELIVER -> {
                w.take();
                action.run();
                w.drain();
            }
            case HELD -> w.hold(cmdSn, new CommandWindow.Pending() {
                @Override
                public void deliver() {
                    action.run();
                }

                @Override
                public void discard() {
                    pdu.release();
                }
            });
            default -> {
                LOG.debug("Connection {}: dropping {} with CmdSN {} outside the window from ExpCmdSN {}", conn.id(),
                        Bhs.describe(h), cmdSn, w.expCmdSn());
                pdu.release();
            }
        }
    }

    // ------------------------------------------------------------------ SCSI commands (§11.3)

    private void scsiCommand(Pdu pdu) {
        ByteBuffer h = pdu.header();
        SessionParameters p = session.parameters();
        if (p.discovery()) {
            // Discovery sessions carry Text, NOP and Logout only (RFC 7143 §4.3).
            rejectCommand(pdu, RejectPdu.PROTOCOL_ERROR, "SCSI Command in a discovery session");
            return;
        }
        int itt = Bhs.itt(h);
        int cmdSn = ScsiCommandPdu.cmdSn(h);
        boolean immediate = Bhs.immediate(h);
        CommandWindow w = session.window;
        CommandWindow.Verdict verdict = CommandWindow.Verdict.DELIVER;
        if (!immediate) {
            verdict = w.classify(cmdSn);
            if (verdict == CommandWindow.Verdict.DROP) {
                LOG.debug("Connection {}: dropping SCSI Command CmdSN {} outside the window from ExpCmdSN {}",
                        conn.id(), cmdSn, w.expCmdSn());
                pdu.release();
                return;
            }
        } else if (!w.hasFreeSlot()) {
            rejectCommand(pdu, RejectPdu.IMMEDIATE_COMMAND_REJECT, "no task slot for an immediate command");
            return;
        }
        if (session.tasks.containsKey(itt)) {
            rejectCommand(pdu, RejectPdu.TASK_IN_PROGRESS, "ITT 0x" + Integer.toHexString(itt) + " is in use");
            return;
        }
        int edtl = ScsiCommandPdu.expectedDataTransferLength(h);
        int immLen = pdu.dataLength();
        if (immLen > 0 && (!p.immediateData() || immLen > p.firstBurstLength() || immLen > edtl)) {
            rejectCommand(pdu, RejectPdu.PROTOCOL_ERROR, "immediate data of " + immLen + " bytes not allowed (EDTL "
                    + edtl + ", FirstBurstLength " + p.firstBurstLength() + ")");
            return;
        }
        long bidi = ScsiCommandPdu.bidirectionalReadLength(h);
        IscsiTask task = new IscsiTask(this, itt, cmdSn, immediate, Bhs.lun(h), ScsiCommandPdu.cdb(h),
                TaskAttribute.ofCode(ScsiCommandPdu.attribute(h)), ScsiCommandPdu.read(h), ScsiCommandPdu.write(h),
                edtl, (int) Math.min(bidi, Integer.MAX_VALUE), pdu.takeData(), Bhs.finalFlag(h));
        pdu.release();
        session.tasks.put(itt, task);
        if (verdict == CommandWindow.Verdict.HELD) {
            w.hold(cmdSn, task);
        } else if (immediate) {
            task.deliver();
        } else {
            w.take();
            task.deliver();
            w.drain();
        }
        // A command now held behind a gap changes whether buffered Data-Out may pause reading.
        session.updateReading();
    }

    private static void dataOut(IscsiConnection c, Pdu pdu) {
        ByteBuffer h = pdu.header();
        IscsiTask task = c.session.tasks.get(Bhs.itt(h));
        if (task == null) {
            // Data for a task that already ended (completed early, aborted): RFC 7143 §11.7 lets
            // the target discard it.
            LOG.debug("Connection {}: Data-Out for unknown ITT 0x{} dropped", c.conn.id(), Integer.toHexString(Bhs.itt(h)));
            pdu.release();
            return;
        }
        task.dataOut(Bhs.ttt(h), DataOutPdu.dataSn(h), DataOutPdu.bufferOffset(h), Bhs.finalFlag(h), pdu);
    }

    /** A task left the session: it completed, was aborted or discarded. On the I/O thread. */
    void taskEnded(IscsiTask task, boolean slotTaken) {
        Session s = session;
        if (s == null) {
            return;
        }
        s.tasks.remove(task.itt, task);
        if (slotTaken) {
            s.window.taskEnded();
        }
    }

    // ------------------------------------------------------------------ NOP (§11.18, §11.19)

    private static void nopOut(IscsiConnection c, Pdu pdu) {
        ByteBuffer h = pdu.header();
        if (Bhs.itt(h) == Bhs.RESERVED_TAG) {
            // An answer to our ping (TTT echoed), or a ping that wants no answer; never advances CmdSN.
            if (Bhs.ttt(h) != Bhs.RESERVED_TAG && Bhs.ttt(h) == c.pingTtt) {
                c.pingTtt = Bhs.RESERVED_TAG;
            }
            pdu.release();
            return;
        }
        c.sequenced(pdu, () -> c.nopReply(pdu));
    }

    private void nopReply(Pdu pdu) {
        ByteBuffer h = pdu.header();
        DataBuffer ping = pdu.takeData();
        pdu.release();
        if (ping != null && ping.length() > maxSend) {
            DataBuffer cut = ping.retainedSlice(0, maxSend);
            ping.release();
            ping = cut;
        }
        sendResponse(new NopInPdu().itt(Bhs.itt(h)).ttt(Bhs.RESERVED_TAG).lun(Bhs.lun(h)), ping);
    }

    /**
     * Pings an idle connection and closes one whose ping went unanswered (RFC 7143 §11.19). Called
     * periodically on the I/O thread.
     */
    void checkIdle(long now) {
        EngineSettings s = engine.settings();
        if (phase == Phase.LOGIN) {
            // A login must finish within the ping timeout: a connection that never completes one
            // holds resources without a session to account them to.
            if (now - connectedAt > s.nopTimeoutMillis() * 1_000_000L) {
                LOG.warn("Connection {}: login not finished within {} ms, closing", conn.id(), s.nopTimeoutMillis());
                terminate(false);
            }
            return;
        }
        if (phase != Phase.FULL_FEATURE) {
            return;
        }
        if (s.nopIntervalMillis() <= 0) {
            return;
        }
        if (pingTtt != Bhs.RESERVED_TAG) {
            if (now - pingSent > s.nopTimeoutMillis() * 1_000_000L) {
                LOG.warn("Connection {}: no answer to a NOP-In ping within {} ms, closing", conn.id(), s.nopTimeoutMillis());
                terminate(false);
            }
            return;
        }
        if (now - lastActivity >= s.nopIntervalMillis() * 1_000_000L) {
            pingTtt = session.newTargetTransferTag();
            pingSent = now;
            // StatSN is not advanced by a ping (ITT 0xffffffff, §11.19).
            send(fill(new NopInPdu().itt(Bhs.RESERVED_TAG).ttt(pingTtt).statSn(statSn)).toPdu());
            flushIfDirty();
        }
    }

    // ------------------------------------------------------------------ Text (§11.10, §11.11)

    private void text(Pdu pdu) {
        ByteBuffer h = pdu.header();
        int itt = Bhs.itt(h);
        int ttt = Bhs.ttt(h);
        DataBuffer data = pdu.takeData();
        byte[] bytes = data == null ? new byte[0] : data.toByteArray();
        if (data != null) {
            data.release();
        }
        pdu.release();
        if (ttt != Bhs.RESERVED_TAG) {
            if (ttt != textTtt || itt != textItt) {
                rejectHeader(h, RejectPdu.INVALID_PDU_FIELD, "Text Request continues an unknown exchange");
                resetText();
                return;
            }
            if (textOut != null) {
                sendTextPart(itt);
                return;
            }
        } else if (textItt != itt) {
            // A new exchange replaces an unfinished one (§11.10.4).
            resetText();
        }
        textItt = itt;
        try {
            if (textIn == null) {
                textIn = new TextAccumulator(engine.settings().maxTextBytes());
            }
            textIn.append(bytes);
        } catch (TextFormatException e) {
            rejectHeader(h, RejectPdu.PROTOCOL_ERROR, "Text Request: " + e.getMessage());
            resetText();
            return;
        }
        if (TextRequestPdu.continues(h)) {
            // More request text follows: acknowledge with an empty response carrying a TTT.
            textTtt = session.newTargetTransferTag();
            sendResponse(new TextResponsePdu().itt(itt).ttt(textTtt).finalFlag(false), null);
            return;
        }
        byte[] request = textIn.drain();
        textIn = null;
        byte[] answer;
        try {
            answer = answerText(request);
        } catch (TextFormatException e) {
            rejectHeader(h, RejectPdu.PROTOCOL_ERROR, "Text Request: " + e.getMessage());
            resetText();
            return;
        }
        textOut = answer;
        textOutPos = 0;
        sendTextPart(itt);
    }

    private byte[] answerText(byte[] request) throws TextFormatException {
        List<KeyValue> keys = TextCodec.decode(request, engine.settings().maxTextBytes(), 256);
        boolean sendTargets = keys.stream().anyMatch(k -> k.key().equals("SendTargets"));
        if (sendTargets) {
            return new SendTargetsResponder(this).respond(request, session.parameters());
        }
        // Operational keys are not renegotiated in full feature phase yet: known keys are
        // Irrelevant, others NotUnderstood (RFC 7143 §6.2).
        List<KeyValue> out = new ArrayList<>(keys.size());
        for (KeyValue kv : keys) {
            out.add(new KeyValue(kv.key(), session.parameters().asMap().containsKey(kv.key()) ? "Irrelevant" : "NotUnderstood"));
        }
        return TextCodec.encode(out);
    }

    /** Sends the next part of a long text answer; C bit and a TTT while more remains (§11.11.2). */
    private void sendTextPart(int itt) {
        int n = Math.min(maxSend, textOut.length - textOutPos);
        byte[] part = Arrays.copyOfRange(textOut, textOutPos, textOutPos + n);
        textOutPos += n;
        boolean more = textOutPos < textOut.length;
        TextResponsePdu r = new TextResponsePdu().itt(itt).finalFlag(!more).continues(more);
        if (more) {
            textTtt = session.newTargetTransferTag();
            r.ttt(textTtt);
        } else {
            resetText();
        }
        sendResponse(r, n == 0 ? null : DataBuffers.wrap(part));
    }

    private void resetText() {
        textIn = null;
        textOut = null;
        textOutPos = 0;
        textTtt = Bhs.RESERVED_TAG;
        textItt = Bhs.RESERVED_TAG;
    }

    // ------------------------------------------------------------------ Logout (§11.14, §11.15)

    private void logout(Pdu pdu) {
        ByteBuffer h = pdu.header();
        pdu.release();
        int reason = LogoutRequestPdu.reasonCode(h);
        int itt = Bhs.itt(h);
        LogoutResponsePdu r = new LogoutResponsePdu().itt(itt);
        if (reason == LogoutRequestPdu.REASON_REMOVE_CONNECTION_FOR_RECOVERY) {
            // Connection recovery needs ErrorRecoveryLevel 2 (§11.15.1).
            sendResponse(r.response(LogoutResponsePdu.RECOVERY_NOT_SUPPORTED), null);
            return;
        }
        if (reason == LogoutRequestPdu.REASON_CLOSE_CONNECTION && LogoutRequestPdu.cid(h) != loginCid) {
            sendResponse(r.response(LogoutResponsePdu.CID_NOT_FOUND), null);
            return;
        }
        // Closing the session, or its only connection, ends the session at ERL 0.
        sendResponse(r.response(LogoutResponsePdu.CLOSED_SUCCESSFULLY), null);
        LOG.info("Session {} ({}) logged out from {}", session.tsih(), session.parameters().initiatorName(), conn.id());
        phase = Phase.LOGGED_OUT;
        flushIfDirty();
        session.close();
        conn.close(true);
    }

    /**
     * Asks the initiator to log out within {@code seconds} (Async Message event 1, §11.9.1): a
     * target being removed or reconfigured. Any thread.
     */
    void requestLogout(int seconds) {
        runOnIo(() -> {
            if (phase == Phase.FULL_FEATURE) {
                sendResponse(new AsyncMessagePdu().event(AsyncMessagePdu.EVENT_LOGOUT_REQUESTED).parameters(0, 0, seconds),
                        null);
            }
        }, null);
    }

    /**
     * Reports a SCSI asynchronous event (Async Message event 0, RFC 7143 §11.9.1): the sense data
     * (e.g. a unit attention) goes in the data segment behind its SenseLength. Any thread; the
     * sense buffer is copied (it is small).
     */
    void sendScsiAsyncEvent(long lun, ByteBuffer sense) {
        byte[] data = SenseData.withLengthPrefix(sense);
        runOnIo(() -> {
            if (phase == Phase.FULL_FEATURE && !session.parameters().discovery()) {
                sendResponse(new AsyncMessagePdu().event(AsyncMessagePdu.EVENT_SCSI).lun(lun), DataBuffers.wrap(data));
            }
        }, null);
    }

    // ------------------------------------------------------------------ TMF (§11.5, §11.6)

    private void taskManagement(Pdu pdu) {
        ByteBuffer h = pdu.header();
        pdu.release();
        int itt = Bhs.itt(h);
        int code = TmfRequestPdu.function(h);
        TaskManagementFunction f = TaskManagementFunction.ofCode(code);
        TmfResponsePdu r = new TmfResponsePdu().itt(itt);
        if (f == null) {
            sendResponse(r.response(TmfResponsePdu.FUNCTION_NOT_SUPPORTED), null);
            return;
        }
        if (f == TaskManagementFunction.TASK_REASSIGN) {
            // Allegiance reassignment needs ErrorRecoveryLevel 2 (§11.6.1 response 4).
            sendResponse(r.response(TmfResponsePdu.ALLEGIANCE_REASSIGNMENT_NOT_SUPPORTED), null);
            return;
        }
        if (session.parameters().discovery()) {
            sendResponse(r.response(TmfResponsePdu.FUNCTION_REJECTED), null);
            return;
        }
        long lun = Bhs.lun(h);
        long refTag = -1;
        IscsiTask referenced = null;
        if (f == TaskManagementFunction.ABORT_TASK || f == TaskManagementFunction.QUERY_TASK) {
            int ref = TmfRequestPdu.referencedTaskTag(h);
            refTag = ref & 0xffffffffL;
            IscsiTask task = session.tasks.get(ref);
            referenced = task;
            if (task == null || !(task.held() || task.running())) {
                sendResponse(r.response(absentTaskResponse(h, f)), null);
                return;
            }
            if (task.held()) {
                if (f == TaskManagementFunction.ABORT_TASK) {
                    // Never started: drop it here; its CmdSN counts as received.
                    session.window.abortHeld(task);
                }
                sendResponse(r.response(TmfResponsePdu.FUNCTION_COMPLETE), null);
                return;
            }
        }
        dropHeldCommands(f, lun, TmfRequestPdu.cmdSn(h));
        boolean coldReset = f == TaskManagementFunction.TARGET_COLD_RESET;
        IscsiTask aborting = f == TaskManagementFunction.ABORT_TASK ? referenced : null;
        boolean[] answered = new boolean[1];
        try {
            Nexus nexus = session.nexus();
            if (nexus == null) {
                sendResponse(r.response(TmfResponsePdu.FUNCTION_REJECTED), null);
                return;
            }
            nexus.manage(new TmfRequest(f, lun, refTag), response -> runOnIo(() -> {
                if (phase != Phase.FULL_FEATURE || answered[0]) {
                    return;
                }
                answered[0] = true;
                int answer = tmfResponseCode(response);
                if (aborting != null && answer == TmfResponsePdu.FUNCTION_COMPLETE) {
                    answer = settleAbort(aborting);
                }
                sendResponse(r.response(answer), null);
                if (coldReset) {
                    // A cold reset ends every connection after the response (RFC 7143 §11.5.1).
                    flushIfDirty();
                    terminate(true);
                }
            }, null));
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("Connection {}: SCSI core failed a task management function {}", conn.id(), f, e);
            if (!answered[0]) {
                answered[0] = true;
                sendResponse(r.response(TmfResponsePdu.FUNCTION_REJECTED), null);
            }
        }
    }

    /**
     * Commands still held in the CmdSN window never reached the SCSI core, so the core cannot abort
     * them. A task-set-wide function affects every command of its scope numbered before it
     * (RFC 7143 §4.2.3.3: the TMF's CmdSN orders it among the commands, immediate or not): those
     * held here are dropped without a response, as aborted tasks get none (SAM-5 §5.6), and
     * their CmdSNs count as received so the window does not stall on them. Commands numbered
     * after the TMF are not affected; QUERY functions change nothing.
     */
    private void dropHeldCommands(TaskManagementFunction f, long lun, int tmfCmdSn) {
        boolean wholeTarget = f == TaskManagementFunction.TARGET_WARM_RESET
                || f == TaskManagementFunction.TARGET_COLD_RESET;
        boolean lunScope = f == TaskManagementFunction.ABORT_TASK_SET || f == TaskManagementFunction.CLEAR_TASK_SET
                || f == TaskManagementFunction.LOGICAL_UNIT_RESET;
        if (!wholeTarget && !lunScope) {
            return;
        }
        for (IscsiTask t : session.tasks.snapshot(IscsiTask[]::new)) {
            if (t.held() && !t.immediate && (wholeTarget || t.lun() == lun)
                    && SerialNumber.lessThan(t.cmdSn, tmfCmdSn)) {
                LOG.debug("Connection {}: {} drops held task 0x{} (CmdSN {})", conn.id(), f,
                        Integer.toHexString(t.itt), t.cmdSn);
                session.window.abortHeld(t);
            }
        }
    }

    /**
     * ABORT TASK or QUERY TASK naming a task we do not have (RFC 7143 §11.6.1): if RefCmdSN is in
     * the window and below the TMF's own CmdSN the command was lost on the way, so its CmdSN
     * counts as received and the answer is "function complete"; otherwise "task does not exist".
     */
    private int absentTaskResponse(ByteBuffer h, TaskManagementFunction f) {
        int ref = TmfRequestPdu.refCmdSn(h);
        int own = TmfRequestPdu.cmdSn(h);
        CommandWindow w = session.window;
        if (f == TaskManagementFunction.ABORT_TASK && SerialNumber.inWindow(ref, w.expCmdSn(), w.maxCmdSn())
                && SerialNumber.lessThan(ref, own)) {
            w.consume(ref);
            return TmfResponsePdu.FUNCTION_COMPLETE;
        }
        return TmfResponsePdu.TASK_DOES_NOT_EXIST;
    }

    /**
     * The SCSI core aborted the task, but its completion may have crossed the abort: the core can
     * finish a command on a pool thread (file I/O) while this ABORT TASK reaches it, so the
     * status may already be on the wire, or queued for this thread behind this answer. The
     * initiator must see exactly one outcome (RFC 7143 §11.6.1, SAM-5 §7.2): a status already
     * sent means the task completed first, "task does not exist"; otherwise the task ends here,
     * without a response, before "function complete" goes out, and a queued completion finds it
     * ended. I/O thread.
     */
    private static int settleAbort(IscsiTask task) {
        if (task.statusSent()) {
            return TmfResponsePdu.TASK_DOES_NOT_EXIST;
        }
        if (task.running()) {
            task.aborted();
        }
        return TmfResponsePdu.FUNCTION_COMPLETE;
    }

    private static int tmfResponseCode(TmfResponse response) {
        return switch (response.result()) {
            case FUNCTION_COMPLETE, FUNCTION_SUCCEEDED -> TmfResponsePdu.FUNCTION_COMPLETE;
            case TASK_NOT_FOUND -> TmfResponsePdu.TASK_DOES_NOT_EXIST;
            case INCORRECT_LOGICAL_UNIT_NUMBER -> TmfResponsePdu.LUN_DOES_NOT_EXIST;
            case FUNCTION_REJECTED -> TmfResponsePdu.FUNCTION_REJECTED;
        };
    }

    // ------------------------------------------------------------------ Reject (§11.17)

    /**
     * Rejects a PDU and, when it was the command numbered ExpCmdSN, counts that CmdSN as
     * received so the window does not stall on it. Takes ownership of {@code pdu}.
     */
    private void rejectCommand(Pdu pdu, int reason, String why) {
        ByteBuffer h = pdu.header();
        pdu.release();
        boolean consume = session != null && !Bhs.immediate(h) && carriesCmdSn(Bhs.opcode(h))
                && Bhs.sn(h) == session.window.expCmdSn();
        if (consume) {
            session.window.take();
        }
        rejectHeader(h, reason, why);
        if (consume) {
            session.window.drain();
        }
    }

    private static boolean carriesCmdSn(int opcode) {
        return opcode == Opcode.SCSI_COMMAND || opcode == Opcode.TMF_REQUEST || opcode == Opcode.TEXT_REQUEST
                || opcode == Opcode.LOGOUT_REQUEST || opcode == Opcode.NOP_OUT;
    }

    private void rejectHeader(ByteBuffer header, int reason, String why) {
        if (warnOnce()) {
            LOG.warn("Connection {}: rejecting {} (reason 0x{}): {} (further rejects at DEBUG)", conn.id(),
                    Bhs.describe(header), Integer.toHexString(reason), why);
        } else {
            LOG.debug("Connection {}: rejecting {} (reason 0x{}): {}", conn.id(), Bhs.describe(header),
                    Integer.toHexString(reason), why);
        }
        RejectPdu r = new RejectPdu().reason(reason);
        fill(r.statSn(statSn++));
        send(r.toPdu(header));
    }

    /**
     * An unrecoverable protocol error at ERL 0 (RFC 7143 §7.1.4): the connection and with it the
     * session end. On the I/O thread.
     */
    void protocolError(String why) {
        LOG.warn("Connection {}: protocol error, closing: {}", conn.id(), why);
        terminate(true);
    }

    // ------------------------------------------------------------------ sending

    /** Fills ExpCmdSN and MaxCmdSN from the session window (or the login values). */
    private <B extends TargetPduBuilder<B>> B fill(B b) {
        if (session != null) {
            b.expCmdSn(session.window.expCmdSn()).maxCmdSn(session.window.maxCmdSn());
        } else {
            b.expCmdSn(loginCmdSn).maxCmdSn(loginCmdSn);
        }
        return b;
    }

    /** A status-carrying PDU: StatSN advances (§4.2.2.2). Takes ownership of {@code data}. */
    <B extends TargetPduBuilder<B>> void sendResponse(B b, DataBuffer data) {
        fill(b).statSn(statSn++);
        send(b.toPdu(data));
    }

    void sendR2t(int itt, long lun, int ttt, int r2tSn, int offset, int length) {
        R2tPdu r = new R2tPdu().itt(itt).lun(lun).ttt(ttt).r2tSn(r2tSn).bufferOffset(offset).desiredLength(length)
                .statSn(statSn);
        send(fill(r).toPdu());
    }

    /**
     * Sends a Data-In PDU; its bytes count against the session's memory until the transport says
     * they left (SendCallback: on the I/O thread, exactly once).
     */
    void sendDataIn(DataInPdu b, DataBuffer data, boolean withStatus) {
        fill(b);
        if (withStatus) {
            b.statSn(statSn++);
        }
        Session s = session;
        long bytes = data == null ? 0 : data.length();
        if (phase == Phase.CLOSED || s == null || bytes == 0) {
            send(b.toPdu(data));
            return;
        }
        s.dataInHeld(bytes);
        Pdu pdu = b.toPdu(data);
        if (parked) {
            enqueue(new Deferred(() -> sendHeldDataIn(s, pdu, bytes), () -> {
                pdu.release();
                s.dataInHeld(-bytes);
            }));
            return;
        }
        sendHeldDataIn(s, pdu, bytes);
    }

    private void sendHeldDataIn(Session s, Pdu pdu, long bytes) {
        if (phase == Phase.CLOSED) {
            pdu.release();
            s.dataInHeld(-bytes);
            return;
        }
        conn.send(pdu, failure -> s.dataInHeld(-bytes));
        dirty = true;
    }

    private void send(Pdu pdu) {
        if (phase == Phase.CLOSED) {
            pdu.release();
            return;
        }
        if (parked) {
            // Only the old transport's send completions run while parked, and they produce no
            // PDU directly; should one do so, it waits for the adopting transport, in order.
            enqueue(new Deferred(() -> send(pdu), pdu::release));
            return;
        }
        conn.send(pdu, null);
        dirty = true;
    }

    private void flushIfDirty() {
        if (dirty && !parked) {
            dirty = false;
            if (phase != Phase.CLOSED) {
                conn.flush();
            }
        }
    }

    /** Work posted from another thread, and what releases its resources if it never runs. */
    private record Deferred(Runnable action, Runnable onRejected) {
    }

    /**
     * Runs {@code action} on this connection's I/O thread (at once when already there and not
     * parked), then flushes. Work from other threads goes through the mailbox, in submission
     * order, and waits there while the connection is parked for a hand-over. {@code onRejected}
     * (may be null) runs instead when the connection has no I/O thread any more (its transport
     * is gone, or it was parked and nobody adopted it), to release what the action would have
     * consumed.
     */
    void runOnIo(Runnable action, Runnable onRejected) {
        if (runsInline()) {
            runGuarded(action, "a completion");
            return;
        }
        enqueue(new Deferred(() -> runGuarded(action, "a completion"), onRejected));
    }

    /**
     * Whether a callback from the SCSI core may run right here: on this connection's I/O thread,
     * not parked. A caller on the hot path then runs its work itself between {@link
     * #internalError} and {@link #afterInline} (as {@link #runOnIo} would), without the closures
     * that deferring needs: no garbage per command when the core answers inline (issue 7).
     */
    boolean runsInline() {
        return !parked && conn.inIoThread();
    }

    /** Inline work threw: counted, logged, the connection closes (as in {@link #runOnIo}). I/O thread. */
    void internalError(RuntimeException e) {
        internalErrors++;
        LOG.warn("Connection {}: internal error in a completion, closing", conn.id(), e);
        terminate(true);
    }

    /** After inline work: what it produced goes out. I/O thread. */
    void afterInline() {
        flushIfDirty();
    }

    private void runGuarded(Runnable action, String what) {
        try {
            action.run();
        } catch (RuntimeException e) {
            internalErrors++;
            LOG.warn("Connection {}: internal error in {}, closing", conn.id(), what, e);
            terminate(true);
        } finally {
            flushIfDirty();
        }
    }

    /** Runs {@code action} on the I/O thread after the current call stack, then flushes. */
    private void runLater(Runnable action) {
        enqueue(new Deferred(() -> runGuarded(action, "deferred output"), null));
        // If the I/O thread is gone, so is the connection: nothing left to produce.
    }

    private void enqueue(Deferred d) {
        if (abandoned) {
            reject(d);
            return;
        }
        mailbox.add(d);
        if (abandoned) {
            // Raced with abandon(): it may have drained the mailbox already.
            releaseMailbox();
            return;
        }
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (parked || !drainScheduled.compareAndSet(false, true)) {
            return;
        }
        Connection target = conn;
        try {
            target.executor().execute(() -> drainMailbox(target));
        } catch (RejectedExecutionException e) {
            // The transport's I/O threads are gone and nobody parked this connection first.
            drainScheduled.set(false);
            releaseMailbox();
        }
    }

    /**
     * On {@code target}'s I/O thread: runs mailbox work in order until it is empty, the
     * connection parks, or {@code target} no longer carries it (a drain posted to a transport
     * that has since handed the connection over must not run beside the adopter's thread:
     * {@code parked} is read before {@code conn} because {@link #adoptedBy} writes them in the
     * other order).
     */
    private void drainMailbox(Connection target) {
        drainScheduled.set(false);
        Deferred d;
        while (!parked && conn == target && (d = mailbox.poll()) != null) {
            d.action().run();
        }
    }

    private void releaseMailbox() {
        Deferred d;
        while ((d = mailbox.poll()) != null) {
            reject(d);
        }
    }

    private void reject(Deferred d) {
        if (d.onRejected() != null) {
            try {
                d.onRejected().run();
            } catch (RuntimeException e) {
                LOG.warn("Connection {}: releasing refused work failed", conn.id(), e);
            }
        }
    }

    // ------------------------------------------------------------------ hand-over (DESIGN.md §3.5)

    /**
     * Quiesces this connection at a PDU boundary and detaches it from its transport. Any thread;
     * does not block. The request waits in the mailbox behind work already submitted (so the
     * responses and Data-In produced so far are sent and their completions have run when the
     * transport hands the endpoint out); then no PDU is processed and nothing is sent until
     * {@link #adoptedBy} runs on an adopting transport's I/O thread. SCSI tasks keep running:
     * their completions wait in the mailbox. Completes with the detached endpoint, or
     * exceptionally when the connection is closed or its transport cannot detach (then it runs
     * on as before).
     */
    CompletionStage<DetachedConnection> park() {
        CompletableFuture<DetachedConnection> result = new CompletableFuture<>();
        Runnable onIo = () -> {
            if (phase == Phase.CLOSED || parked || abandoned) {
                result.completeExceptionally(new IllegalStateException("connection " + conn.id() + " is "
                        + (parked ? "already parked" : "closed")));
                return;
            }
            flushIfDirty();
            parkedSince = engine.nanoTime();
            parked = true;
            Connection old = conn;
            CompletionStage<DetachedConnection> detaching;
            try {
                detaching = old.detach();
            } catch (RuntimeException e) {
                detaching = CompletableFuture.failedFuture(e);
            }
            detaching.whenComplete((detached, failure) -> {
                if (failure == null) {
                    result.complete(detached);
                    return;
                }
                // SPI: the connection is unchanged. Run on where we were.
                try {
                    old.executor().execute(() -> {
                        if (conn == old && parked && !abandoned) {
                            parked = false;
                            drainMailbox(old);
                            flushIfDirty();
                        }
                    });
                } catch (RejectedExecutionException e) {
                    // Its I/O thread is gone as well: the transport's close reports the loss.
                }
                result.completeExceptionally(failure);
            });
        };
        if (!parked && conn.inIoThread() && mailbox.isEmpty()) {
            onIo.run();
        } else {
            enqueue(new Deferred(onIo, () -> result.completeExceptionally(
                    new IllegalStateException("connection " + conn.id() + " has no I/O thread any more"))));
        }
        return result;
    }

    /**
     * The portal re-listened (a new transport, a new address): this connection now belongs to
     * {@code next}, so removing the portal later still closes it. Any thread.
     */
    void portalMoved(PortalBinding next) {
        portal = next;
    }

    /** Records which transport service carries this connection after an adoption. Any thread. */
    void carriedBy(Transport transport) {
        this.carrier = transport;
    }

    /**
     * On the adopting transport's I/O thread (its first callback, or a task the hand-over posts
     * right after {@code adopt} returns, whichever runs first): the new connection becomes
     * ours, the session's flow control is re-applied to it (it starts reading and writable),
     * pings restart their clocks (the park may have outlasted a NOP timeout), and the work that
     * waited in the mailbox runs, in order, before any new PDU.
     */
    void adoptedBy(Connection c) {
        if (c == conn && !parked) {
            return;
        }
        conn = c;
        parked = false;
        writable = true;
        long now = engine.nanoTime();
        lastActivity = now;
        if (pingTtt != Bhs.RESERVED_TAG) {
            pingSent = now;
        }
        Session s = session;
        if (s != null && phase == Phase.FULL_FEATURE && s.readingPaused()) {
            c.setReading(false);
        }
        drainMailbox(c);
        flushIfDirty();
    }

    /** Nanoseconds this connection has been parked (0 when not parked). */
    long parkedNanos() {
        return parked ? engine.nanoTime() - parkedSince : 0;
    }

    /**
     * Nobody adopted this parked connection (grace expired, or the adopter refused it): it ends
     * as on any connection loss at ERL 0 and the work waiting for it is released. Called by the
     * owner of the parked connection (ConnectionHandover), never on an I/O thread; the endpoint
     * was closed by the caller.
     */
    void abandon(String why) {
        if (!parked || abandoned) {
            return;
        }
        abandoned = true;
        releaseMailbox();
        if (phase == Phase.CLOSED) {
            return;
        }
        Phase was = phase;
        phase = Phase.CLOSED;
        portal.connections.remove(this);
        engine.connectionClosed(this);
        negotiator = null;
        if (session != null && session.connection() == this) {
            if (was == Phase.FULL_FEATURE) {
                LOG.info("Session {} ({}) lost its connection {}: {}", session.tsih(),
                        session.parameters().initiatorName(), conn.id(), why);
            }
            sessionLost(was);
        }
        releaseMailbox();
    }

    /** Ends the session (if any) and closes the connection. On the I/O thread; idempotent. */
    void terminate(boolean graceful) {
        if (phase == Phase.CLOSED) {
            return;
        }
        if (phase != Phase.LOGGED_OUT) {
            phase = Phase.LOGGED_OUT;
        }
        if (session != null) {
            session.close();
        }
        flushIfDirty();
        conn.close(graceful);
    }

    /** Closes this connection from another thread (reinstatement, a transport going away). */
    void closeFromOutside(String why) {
        runOnIo(() -> {
            if (phase != Phase.CLOSED) {
                LOG.info("Connection {}: closing: {}", conn.id(), why);
                terminate(true);
            }
        }, null);
    }

    // ------------------------------------------------------------------ LoginContext

    @Override
    public TargetConfig target(String iqn) {
        return engine.target(iqn);
    }

    @Override
    public List<TargetConfig> targets() {
        return engine.targets();
    }

    @Override
    public TransportLimits transportLimits() {
        return portal.limits();
    }

    @Override
    public boolean portalIsLoopback() {
        var local = conn.localAddress();
        return local != null && local.getAddress() != null && local.getAddress().isLoopbackAddress();
    }

    @Override
    public int portalGroupTag() {
        return portal.portalGroupTag();
    }

    @Override
    public List<String> targetAddresses(String iqn) {
        return engine.targetAddresses(conn.localAddress());
    }

    @Override
    public AuthConfig discoveryAuth() {
        return engine.settings().discoveryAuth();
    }

    @Override
    public SessionCheck checkSession(String initiatorName, long isid, int tsih, String targetIqn) {
        if (tsih == 0) {
            // A new session, or a reinstatement of the same nexus (closed once login succeeds).
            return engine.sessionTable().full() && engine.sessionTable().byNexus(initiatorName, isid, targetIqn) == null
                    ? SessionCheck.OUT_OF_RESOURCES : SessionCheck.NEW_SESSION;
        }
        Session s = engine.sessionTable().byTsih(tsih);
        if (s == null) {
            return SessionCheck.SESSION_DOES_NOT_EXIST;
        }
        if (!s.parameters().initiatorName().equals(initiatorName) || s.isid() != isid
                || !java.util.Objects.equals(s.parameters().targetName(), targetIqn)) {
            return SessionCheck.CANT_INCLUDE;
        }
        // MaxConnections is 1 until MC/S exists (RFC 7143 §13.2): a connection joins only a
        // session that lost its own and waits to be continued.
        return s.retained() ? SessionCheck.ADD_CONNECTION : SessionCheck.TOO_MANY_CONNECTIONS;
    }

    @Override
    public NegotiationDefaults defaults() {
        return engine.settings().negotiation();
    }
}
