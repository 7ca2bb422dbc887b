package dev.lunar.iscsi.internal;

import dev.lunar.api.MoveReport;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Transport;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves live connections between transports (DESIGN.md §3.5) so a transport update, restart or
 * move is invisible to the initiator: same TCP connection, same session, no I/O error.
 *
 * <ul>
 *   <li><b>A transport goes away</b> ({@link #transportUnbinding}): every connection it carries is
 *       parked at a PDU boundary and detached; a bound transport of the same kind (or, when no
 *       portal uses the old kind, of the same wire) adopts them at once, otherwise they wait, for
 *       at most the grace time, for one to bind ({@link #transportBound}). When the grace ends
 *       the endpoints are closed and the sessions end as on any connection loss at ERL 0: the
 *       initiator reinstates (same ISID, so the same I_T nexus name: persistent reservations and
 *       unit attentions kept by the SCSI core per nexus survive).</li>
 *   <li><b>A move</b> ({@link #move}): the same between two bound transports of equal wire.</li>
 * </ul>
 *
 * <p>Threading: the public methods run on management threads (DS bind/unbind, the shell) and may
 * block for at most {@link #DETACH_WAIT} while detaches complete on the I/O threads; they must
 * never be called on a transport I/O thread (the detach they wait for runs there). Methods are
 * serialized on this object except for that wait.
 */
public final class ConnectionHandover {

    /**
     * How long a departing transport's unbind waits for its connections to detach. The old
     * transport's event loops stop right after unbind returns, so a detach still pending then is
     * lost (the transport closes that connection).
     */
    public static final Duration DETACH_WAIT = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandover.class);

    /** Helper threads adopting at once (besides the caller's); adoption mostly waits on I/O threads. */
    private static final int MAX_PARALLEL_ADOPTIONS = 7;

    private record Bound(Transport transport, String kind, String wire) {
    }

    /** A connection between owners: its engine side, its endpoint, where it came from. */
    private record Parked(IscsiConnection connection, DetachedConnection detached, String kind, String wire,
            long parkedAt, long deadline) {
    }

    private final IscsiEngine engine;
    private final ScheduledExecutorService timer;
    private final Predicate<String> portalUsesKind;
    private final List<Bound> bound = new ArrayList<>();
    private final List<Parked> parked = new ArrayList<>();
    private volatile long graceNanos;
    private boolean closed;

    /**
     * @param timer runs grace expiries (never blocks long: closing sockets)
     * @param portalUsesKind whether a configured portal listens through transports of a kind: a
     *     connection parked from a kind no portal uses may be adopted by any transport of its wire
     */
    public ConnectionHandover(IscsiEngine engine, ScheduledExecutorService timer, Predicate<String> portalUsesKind,
            Duration grace) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.portalUsesKind = Objects.requireNonNull(portalUsesKind, "portalUsesKind");
        setGrace(grace);
    }

    /** How long parked connections wait for a successor; applies to connections parked from now on. */
    public void setGrace(Duration grace) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("the transport grace time must not be negative, is " + grace);
        }
        this.graceNanos = grace.toNanos();
    }

    /** Connections parked now, waiting for a transport (diagnostics, tests). */
    public synchronized int parkedCount() {
        return parked.size();
    }

    // ------------------------------------------------------------------ transports come and go

    /**
     * A transport service is available: it adopts the connections parked for its kind (and those
     * of kinds no portal uses, if the wire matches). Management thread; may block while adopting.
     */
    public void transportBound(Transport transport, String kind, String wire) {
        List<Parked> adoptable = new ArrayList<>();
        synchronized (this) {
            bound.removeIf(b -> b.transport() == transport);
            bound.add(new Bound(transport, kind, wire));
            for (Parked p : parked) {
                if (p.kind().equals(kind) || (p.wire().equals(wire) && !portalUsesKind.test(p.kind()))) {
                    adoptable.add(p);
                }
            }
            parked.removeAll(adoptable);
        }
        if (!adoptable.isEmpty()) {
            adoptAll(adoptable, new Bound(transport, kind, wire), "Transport " + kind + " replaced");
        }
    }

    /**
     * A transport service is going away (DS unbind: before its component deactivates, so it still
     * works). Its connections are parked and detached, waiting at most {@link #DETACH_WAIT}; then
     * adopted by a successor already bound, or kept for the grace time. Management thread.
     */
    public void transportUnbinding(Transport transport) {
        Bound gone;
        synchronized (this) {
            gone = find(b -> b.transport() == transport);
            bound.removeIf(b -> b.transport() == transport);
        }
        List<IscsiConnection> carried = carriedBy(transport, Optional.empty());
        if (gone == null || carried.isEmpty()) {
            return;
        }
        LOG.info("Transport {} going away: handing over {} connection(s)", gone.kind(), carried.size());
        List<String> failed = new ArrayList<>();
        List<Parked> detached = detachAll(carried, gone, true, failed);
        if (detached.isEmpty()) {
            return;
        }
        Bound successor;
        synchronized (this) {
            successor = find(b -> b.kind().equals(gone.kind()));
            if (successor == null && !portalUsesKind.test(gone.kind())) {
                successor = find(b -> b.wire().equals(gone.wire()));
            }
            if (successor == null) {
                parked.addAll(detached);
            }
        }
        if (successor != null) {
            adoptAll(detached, successor, "Transport " + gone.kind() + " replaced");
            return;
        }
        long grace = graceNanos;
        LOG.info("Transport {} gone: {} connection(s) parked, waiting up to {} s for a transport of that kind",
                gone.kind(), detached.size(), TimeUnit.NANOSECONDS.toSeconds(grace));
        try {
            timer.schedule(this::expire, grace + TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            // The engine is stopping; close() ends what is parked.
            LOG.debug("Grace timer unavailable: {}", e.toString());
        }
    }

    /**
     * Moves live connections between two bound transports of the same wire: {@code TargetService}
     * semantics. Management thread; blocks while detaching and adopting.
     *
     * @throws IllegalArgumentException when a kind is not bound, the kinds are equal, or the wires differ
     */
    public MoveReport move(String fromKind, String toKind, Optional<Integer> tsih) {
        Bound from;
        Bound to;
        synchronized (this) {
            from = find(b -> b.kind().equals(fromKind));
            to = find(b -> b.kind().equals(toKind));
        }
        if (Objects.equals(fromKind, toKind)) {
            throw new IllegalArgumentException("source and destination are both transport kind '" + fromKind
                    + "'; name two different kinds");
        }
        if (from == null) {
            throw new IllegalArgumentException("no transport of kind '" + fromKind + "' is running; known kinds: "
                    + kinds());
        }
        if (to == null) {
            throw new IllegalArgumentException("no transport of kind '" + toKind + "' is running; known kinds: "
                    + kinds());
        }
        if (!from.wire().equals(to.wire())) {
            // DESIGN.md §3.5: a live connection cannot change its wire (TCP <-> RDMA); the protocol's
            // own recovery handles that case, not a move.
            throw new IllegalArgumentException("transport '" + fromKind + "' speaks wire '" + from.wire() + "' and '"
                    + toKind + "' speaks '" + to.wire() + "': a live connection can only move between equal wires");
        }
        List<IscsiConnection> carried = carriedBy(from.transport(), tsih);
        List<String> failed = new ArrayList<>();
        if (carried.isEmpty()) {
            return new MoveReport(List.of(), List.of());
        }
        List<Parked> detached = detachAll(carried, from, false, failed);
        List<String> moved = detached.isEmpty() ? List.of()
                : adoptAll(detached, to, "Moved from transport " + fromKind + " to " + toKind, failed);
        return new MoveReport(moved, failed);
    }

    /** Ends what is parked (the engine stops). Idempotent. */
    public void close() {
        List<Parked> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(parked);
            parked.clear();
            bound.clear();
        }
        for (Parked p : all) {
            giveUp(p, "the iSCSI engine stopped while the connection waited for a transport");
        }
    }

    /** Closes the parked connections whose grace has ended. Runs on the timer; callable by tests. */
    void expire() {
        long now = engine.nanoTime();
        List<Parked> due = new ArrayList<>();
        synchronized (this) {
            for (Parked p : parked) {
                if (now - p.deadline() >= 0) {
                    due.add(p);
                }
            }
            parked.removeAll(due);
        }
        if (!due.isEmpty()) {
            LOG.warn("No transport of kind {} came back within the grace time: closing {} parked connection(s)",
                    due.get(0).kind(), due.size());
        }
        for (Parked p : due) {
            giveUp(p, "no transport of kind " + p.kind() + " came back within the grace time");
        }
    }

    // ------------------------------------------------------------------ the steps

    private List<IscsiConnection> carriedBy(Transport transport, Optional<Integer> tsih) {
        List<IscsiConnection> out = new ArrayList<>();
        for (IscsiConnection c : engine.liveConnections()) {
            if (c.carrier() != transport || c.parked()) {
                continue;
            }
            if (tsih.isPresent()) {
                Session s = c.session();
                if (s == null || s.tsih() != tsih.get()) {
                    continue;
                }
            }
            out.add(c);
        }
        return out;
    }

    /**
     * Parks every connection (each at its own PDU boundary, all at once) and waits, bounded, for
     * the detaches. A connection whose transport refuses to detach runs on where it is; when that
     * transport is leaving ({@code leaving}) it is closed cleanly instead, before the transport
     * closes it less cleanly.
     */
    private List<Parked> detachAll(List<IscsiConnection> carried, Bound from, boolean leaving, List<String> failed) {
        List<CompletableFuture<DetachedConnection>> detaching = new ArrayList<>(carried.size());
        for (IscsiConnection c : carried) {
            detaching.add(c.park().toCompletableFuture());
        }
        long deadline = System.nanoTime() + DETACH_WAIT.toNanos();
        long grace = graceNanos;
        List<Parked> out = new ArrayList<>(carried.size());
        for (int i = 0; i < carried.size(); i++) {
            IscsiConnection c = carried.get(i);
            CompletableFuture<DetachedConnection> f = detaching.get(i);
            try {
                DetachedConnection d = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                long parkedAt = engine.nanoTime() - c.parkedNanos();
                out.add(new Parked(c, d, from.kind(), from.wire(), parkedAt, engine.nanoTime() + grace));
            } catch (ExecutionException e) {
                String why = "connection " + c.id() + " could not be detached from transport " + from.kind() + ": "
                        + e.getCause().getMessage();
                failed.add(why + (leaving ? "; closed" : "; it stays on " + from.kind()));
                LOG.warn("{}{}", why, leaving ? "; closing it" : "; it stays where it is");
                if (leaving) {
                    c.closeFromOutside("its transport is going away and it could not be detached");
                }
            } catch (TimeoutException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                String why = "connection " + c.id() + " did not detach from transport " + from.kind() + " within "
                        + DETACH_WAIT.toSeconds() + " s";
                failed.add(why + "; it is closed when the detach completes");
                LOG.warn("{} (send queue still draining?); it is closed if the detach completes later", why);
                f.whenComplete((d, failure) -> {
                    if (d != null) {
                        giveUp(new Parked(c, d, from.kind(), from.wire(), 0, 0), why);
                    }
                });
            }
        }
        return out;
    }

    private List<String> adoptAll(List<Parked> detached, Bound to, String what) {
        return adoptAll(detached, to, what, new ArrayList<>());
    }

    /**
     * Hands each parked connection to {@code to}; logs one INFO line with the longest time a
     * connection spent between quiesce and resume (what an initiator could notice as a stall).
     */
    private List<String> adoptAll(List<Parked> detached, Bound to, String what, List<String> failed) {
        // The stall's parts, for the log: where a swap's time goes decides what is worth shortening.
        long adoptStart = engine.nanoTime();
        long firstParked = adoptStart;
        for (Parked p : detached) {
            firstParked = Math.min(firstParked, p.parkedAt());
        }
        // In parallel: an adopt blocks until the socket is registered with the new transport's
        // event loop, and right after a bundle update that code runs cold; one connection after
        // the other would add those waits up.
        List<CompletableFuture<Adoption>> adopting = new ArrayList<>(detached.size());
        ExecutorService helpers = detached.size() < 2 ? null : Executors.newFixedThreadPool(
                Math.min(detached.size() - 1, MAX_PARALLEL_ADOPTIONS), r -> {
                    Thread t = new Thread(r, "lunar-iscsi-adopt");
                    t.setDaemon(true);
                    return t;
                });
        try {
            for (int i = 1; i < detached.size(); i++) {
                Parked p = detached.get(i);
                adopting.add(CompletableFuture.supplyAsync(() -> adoptOne(p, to), helpers));
            }
            adopting.add(0, CompletableFuture.completedFuture(adoptOne(detached.get(0), to)));
        } finally {
            if (helpers != null) {
                helpers.shutdown();
            }
        }
        List<String> moved = new ArrayList<>(detached.size());
        List<CompletableFuture<Long>> resumed = new ArrayList<>(detached.size());
        List<Adoption> adoptions = new ArrayList<>(adopting.size());
        for (CompletableFuture<Adoption> f : adopting) {
            adoptions.add(f.join());
        }
        long adoptEnd = engine.nanoTime();
        for (Adoption a : adoptions) {
            if (a.failure() != null) {
                failed.add(a.failure());
            } else {
                moved.add(a.id());
                resumed.add(a.stall());
            }
        }
        // Wait (bounded) until each connection runs on its new I/O thread, so a caller that moves
        // it again right away finds it resumed, and the stall measured is quiesce to resume.
        long longest = 0;
        long deadline = System.nanoTime() + DETACH_WAIT.toNanos();
        for (CompletableFuture<Long> stall : resumed) {
            try {
                longest = Math.max(longest, stall.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("An adopted connection did not resume within {} s", DETACH_WAIT.toSeconds());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!moved.isEmpty()) {
            long quiesced = adoptStart - firstParked;
            long adoptingTook = adoptEnd - adoptStart;
            long resuming = Math.max(0, longest - (adoptEnd - firstParked));
            LOG.info("{}: {} connection(s) moved in {} ms (parked until adoption began {} ms, adopting {} ms,"
                    + " resuming {} ms){}", what, moved.size(), TimeUnit.NANOSECONDS.toMillis(longest),
                    TimeUnit.NANOSECONDS.toMillis(quiesced), TimeUnit.NANOSECONDS.toMillis(adoptingTook),
                    TimeUnit.NANOSECONDS.toMillis(resuming), failed.isEmpty() ? "" : "; " + failed.size() + " failed");
        }
        return moved;
    }

    /** What one adoption did: the new connection id and when it resumed, or why it failed. */
    private record Adoption(String id, CompletableFuture<Long> stall, String failure) {
    }

    private Adoption adoptOne(Parked p, Bound to) {
        IscsiConnection c = p.connection();
        Connection adopted;
        try {
            adopted = to.transport().adopt(p.detached(), c);
        } catch (IOException | RuntimeException e) {
            String why = "transport " + to.kind() + " could not adopt connection " + c.id() + ": " + e.getMessage();
            LOG.warn("{}; closing it", why);
            giveUp(p, why);
            return new Adoption(null, null, why + "; closed");
        }
        c.carriedBy(to.transport());
        CompletableFuture<Long> stall = new CompletableFuture<>();
        try {
            // Resume on the new I/O thread even if no PDU arrives to trigger it (a PDU that does
            // arrive first resumes it there the same way; the second call is a no-op).
            adopted.executor().execute(() -> {
                c.adoptedBy(adopted);
                stall.complete(engine.nanoTime() - p.parkedAt());
            });
        } catch (RuntimeException e) {
            LOG.warn("Connection {}: the adopting transport refused work: {}", adopted.id(), e.toString());
            stall.complete(engine.nanoTime() - p.parkedAt());
        }
        return new Adoption(adopted.id(), stall, null);
    }

    private void giveUp(Parked p, String why) {
        try {
            p.detached().close();
        } catch (RuntimeException | LinkageError e) {
            // LinkageError: the endpoint's class belongs to a transport bundle refreshed meanwhile.
            LOG.warn("Closing the endpoint of connection {} failed: {}", p.connection().id(), e.toString());
        }
        p.connection().abandon(why);
    }

    private Bound find(Predicate<Bound> test) {
        for (Bound b : bound) {
            if (test.test(b)) {
                return b;
            }
        }
        return null;
    }

    private synchronized String kinds() {
        List<String> k = new ArrayList<>();
        for (Bound b : bound) {
            k.add(b.kind() + " (wire " + b.wire() + ")");
        }
        return k.isEmpty() ? "none" : String.join(", ", k);
    }
}
