package dev.lunar.scsi.internal.pr;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.target.ScsiNexus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservation state of one logical unit: the SPC-2 RESERVE(6)/(10) holder and the persistent
 * reservation registrations and reservation (SPC-4 "Reservations"). One instance per LU ({@code
 * lu.extension(ReservationState.class, ReservationState::new)}); every method is synchronized and
 * short, so commands on any thread see one order of changes.
 *
 * <p>Service actions of PERSISTENT RESERVE OUT are methods here that return a {@link Verdict};
 * parameter list parsing and CDB checks stay with the command handlers. With APTPL = 1 every
 * change is written by the {@link AptplStore} before its command completes.
 */
public final class ReservationState {

    private static final Logger LOG = LoggerFactory.getLogger(ReservationState.class);

    private final AptplStore store;

    // Guarded by "this".
    private String spc2Holder;
    private final List<Registration> registrations = new ArrayList<>();
    private PrType type;
    /** The holder of a reservation that is not an all-registrants one; null otherwise. */
    private Registration holder;
    private long generation;
    private boolean aptpl;

    /** For {@code lu.extension(...)}: persistence in the LU's state directory, if it has one. */
    public ReservationState(LogicalUnit lu) {
        this(lu.stateDirectory());
    }

    /** @param stateDirectory where APTPL state is kept, or null: APTPL not supported */
    public ReservationState(Path stateDirectory) {
        this.store = stateDirectory == null ? null : new AptplStore(stateDirectory);
        if (store != null) {
            AptplStore.Snapshot s = store.load();
            if (s != null) {
                registrations.addAll(s.registrations());
                generation = s.generation();
                type = s.type();
                holder = s.holderIndex() >= 0 ? registrations.get(s.holderIndex()) : null;
                aptpl = true;
                LOG.info("Restored {} persistent reservation registrations from {}", registrations.size(),
                        store.file());
            }
        }
    }

    /** PTPL_C: whether APTPL = 1 can be honoured. */
    public boolean persistenceCapable() {
        return store != null;
    }

    // ------------------------------------------------------------------ SPC-2 RESERVE / RELEASE

    /** The nexus name holding an SPC-2 reservation, or null. */
    public synchronized String spc2Holder() {
        return spc2Holder;
    }

    /**
     * RESERVE(6)/(10) (SPC-2). While registrations exist, SPC-4's exceptions to SPC-2 RESERVE and
     * RELEASE (CRH = 1) apply: from a persistent reservation holder it is accepted without effect,
     * from anyone else it conflicts.
     */
    public synchronized Verdict reserveSpc2(ScsiNexus n) {
        if (!registrations.isEmpty()) {
            return persistentHolderException(n);
        }
        if (spc2Holder != null && !spc2Holder.equals(n.name())) {
            return Verdict.CONFLICT;
        }
        spc2Holder = n.name();
        return Verdict.GOOD;
    }

    /** RELEASE(6)/(10): releases the nexus's own reservation; from anyone else it does nothing. */
    public synchronized Verdict releaseSpc2(ScsiNexus n) {
        if (!registrations.isEmpty()) {
            return persistentHolderException(n);
        }
        if (n.name().equals(spc2Holder)) {
            spc2Holder = null;
        }
        return Verdict.GOOD;
    }

    private Verdict persistentHolderException(ScsiNexus n) {
        return isHolder(registrationOf(n)) ? Verdict.GOOD : Verdict.CONFLICT;
    }

    /** I_T nexus loss ends the nexus's SPC-2 reservation (SPC-2 "Reservations"); PRs stay. */
    public synchronized void nexusLost(String nexusName) {
        if (nexusName.equals(spc2Holder)) {
            spc2Holder = null;
        }
    }

    /** LOGICAL UNIT RESET and target resets end SPC-2 reservations; PRs stay (SPC-4 reservations overview). */
    public synchronized void reset() {
        spc2Holder = null;
    }

    // ------------------------------------------------------------------ queries

    public synchronized long generation() {
        return generation;
    }

    public synchronized boolean aptpl() {
        return aptpl;
    }

    public synchronized List<Registration> registrations() {
        return List.copyOf(registrations);
    }

    /** The reservation type, or null when no persistent reservation exists. */
    public synchronized PrType type() {
        return type;
    }

    /** The holder of a non all-registrants reservation, else null. */
    public synchronized Registration holder() {
        return holder;
    }

    public synchronized Registration registrationOf(ScsiNexus n) {
        for (Registration r : registrations) {
            if (r.covers(n)) {
                return r;
            }
        }
        return null;
    }

    /** Whether {@code r} holds the reservation (every registrant does for WEAR/EAAR). */
    public synchronized boolean isHolder(Registration r) {
        return type != null && r != null && (type.allRegistrants() ? registrations.contains(r) : r.equals(holder));
    }

    /** Whether nothing at all is reserved or registered: the gate's fast path. */
    public synchronized boolean idle() {
        return spc2Holder == null && registrations.isEmpty();
    }

    // ------------------------------------------------------------------ PERSISTENT RESERVE OUT

    /**
     * REGISTER and REGISTER AND IGNORE EXISTING KEY (SPC-4 "Registering"): register, change the
     * key, or (service action key 0) unregister.
     */
    public synchronized Verdict register(ScsiNexus n, long key, long serviceActionKey, boolean ignoreExisting,
            boolean allTargetPorts, boolean aptplBit, ReservationEffects fx) {
        Registration r = registrationOf(n);
        if (r == null) {
            if (!ignoreExisting && key != 0) {
                return Verdict.CONFLICT;
            }
            if (serviceActionKey == 0) {
                return Verdict.GOOD;
            }
            registrations.add(new Registration(n.initiatorPort(), n.targetPort(), n.relativeTargetPortId(),
                    allTargetPorts, serviceActionKey));
        } else {
            if (!ignoreExisting && key != r.key()) {
                return Verdict.CONFLICT;
            }
            if (serviceActionKey == 0) {
                unregister(r, fx);
            } else {
                replace(r, r.withKey(serviceActionKey));
            }
        }
        generation++;
        return Verdict.GOOD.persistedBy(changed(aptplBit));
    }

    /** RESERVE (SPC-4 "Creating a persistent reservation"). */
    public synchronized Verdict reserve(ScsiNexus n, long key, PrType newType) {
        Registration r = registrationOf(n);
        if (r == null || r.key() != key) {
            return Verdict.CONFLICT;
        }
        if (type != null) {
            // Reserving again with the same type is a no-op; anything else conflicts.
            return isHolder(r) && type == newType ? Verdict.GOOD : Verdict.CONFLICT;
        }
        type = newType;
        holder = newType.allRegistrants() ? null : r;
        return Verdict.GOOD.persistedBy(changed(aptpl));
    }

    /** RELEASE (SPC-4 "Releasing"). */
    public synchronized Verdict release(ScsiNexus n, long key, PrType releaseType, ReservationEffects fx) {
        Registration r = registrationOf(n);
        if (r == null || r.key() != key) {
            return Verdict.CONFLICT;
        }
        if (type == null || !isHolder(r)) {
            return Verdict.GOOD;
        }
        if (releaseType != type) {
            return Verdict.check(SenseCodes.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
        }
        PrType old = type;
        type = null;
        holder = null;
        if (old.registrantsHaveAccess()) {
            // SPC-4 "Releasing": releasing a registrants-only or all-registrants reservation tells the others.
            attentionToAllBut(r, SenseCodes.UA_RESERVATIONS_RELEASED, fx);
        }
        return Verdict.GOOD.persistedBy(changed(aptpl));
    }

    /** CLEAR (SPC-4 "Clearing"): every registration and the reservation go. */
    public synchronized Verdict clear(ScsiNexus n, long key, ReservationEffects fx) {
        Registration r = registrationOf(n);
        if (r == null || r.key() != key) {
            return Verdict.CONFLICT;
        }
        attentionToAllBut(r, SenseCodes.UA_RESERVATIONS_PREEMPTED, fx);
        registrations.clear();
        type = null;
        holder = null;
        generation++;
        return Verdict.GOOD.persistedBy(changed(aptpl));
    }

    /**
     * PREEMPT and PREEMPT AND ABORT (SPC-4 "Preempting"): remove the registrations with the service
     * action key and, when they hold the reservation, take it over with {@code newType}.
     */
    public synchronized Verdict preempt(ScsiNexus n, long key, long serviceActionKey, PrType newType,
            boolean abort, ReservationEffects fx) {
        Registration self = registrationOf(n);
        if (self == null || self.key() != key) {
            return Verdict.CONFLICT;
        }
        List<Registration> victims;
        if (type != null && type.allRegistrants() && serviceActionKey == 0) {
            // SPC-4 "Preempting": key 0 preempts an all-registrants reservation and every other registrant.
            victims = othersThan(self);
            takeOver(self, newType, victims, fx);
        } else if (type != null && !type.allRegistrants() && holder.key() == serviceActionKey) {
            victims = matching(serviceActionKey, self);
            takeOver(self, newType, victims, fx);
        } else {
            // Only registrations are preempted; the reservation, if any, stays.
            if (serviceActionKey == 0) {
                return Verdict.check(SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST.withFieldPointer(false, 8, 7));
            }
            victims = matching(serviceActionKey, self);
            if (victims.isEmpty()) {
                return Verdict.CONFLICT;
            }
            registrations.removeAll(victims);
            if (type != null && type.allRegistrants() && registrations.isEmpty()) {
                type = null;
            }
        }
        for (Registration v : victims) {
            fx.attention(v, SenseCodes.UA_REGISTRATIONS_PREEMPTED);
            if (abort) {
                fx.abortTasksOf(v);
            }
        }
        generation++;
        return Verdict.GOOD.persistedBy(changed(aptpl));
    }

    private void takeOver(Registration self, PrType newType, List<Registration> victims, ReservationEffects fx) {
        PrType oldType = type;
        registrations.removeAll(victims);
        type = newType;
        holder = newType.allRegistrants() ? null : self;
        if (oldType != newType) {
            // SPC-4 "Preempting": if the type changes, the remaining registrants learn that the
            // reservation changed.
            for (Registration other : registrations) {
                if (!other.equals(self)) {
                    fx.attention(other, SenseCodes.UA_RESERVATIONS_RELEASED);
                }
            }
        }
    }

    /**
     * REGISTER AND MOVE (SPC-4 "Registering and moving the reservation"): register the destination
     * I_T nexus (if it is not) and move the reservation to it; optionally unregister the source.
     */
    public synchronized Verdict registerAndMove(ScsiNexus n, long key, long serviceActionKey,
            String destInitiatorPort, String destTargetPort, int destRelativePort, boolean unregister,
            boolean aptplBit, ReservationEffects fx) {
        Registration self = registrationOf(n);
        if (self == null || self.key() != key) {
            return Verdict.CONFLICT;
        }
        if (type == null || type.allRegistrants() || !self.equals(holder)) {
            return Verdict.CONFLICT;
        }
        if (serviceActionKey == 0) {
            return Verdict.check(SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST.withFieldPointer(false, 8, 7));
        }
        if (self.covers(destInitiatorPort, destTargetPort)) {
            return Verdict.check(SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST.withFieldPointer(false, 24, -1));
        }
        Registration dest = null;
        for (Registration r : registrations) {
            if (r.covers(destInitiatorPort, destTargetPort)) {
                dest = r;
                break;
            }
        }
        if (dest == null) {
            dest = new Registration(destInitiatorPort, destTargetPort, destRelativePort, false, serviceActionKey);
            registrations.add(dest);
        }
        holder = dest;
        if (unregister) {
            registrations.remove(self);
        }
        generation++;
        return Verdict.GOOD.persistedBy(changed(aptplBit));
    }

    // ------------------------------------------------------------------ helpers

    private void unregister(Registration r, ReservationEffects fx) {
        registrations.remove(r);
        if (type == null) {
            return;
        }
        if (type.allRegistrants()) {
            if (registrations.isEmpty()) {
                type = null;
            }
        } else if (r.equals(holder)) {
            // SPC-4 "Releasing": the holder's unregistration releases the reservation.
            PrType old = type;
            type = null;
            holder = null;
            if (old.registrantsOnly()) {
                attentionToAllBut(r, SenseCodes.UA_RESERVATIONS_RELEASED, fx);
            }
        }
    }

    private void replace(Registration old, Registration now) {
        registrations.set(registrations.indexOf(old), now);
        if (old.equals(holder)) {
            holder = now;
        }
    }

    private List<Registration> matching(long key, Registration except) {
        List<Registration> out = new ArrayList<>();
        for (Registration r : registrations) {
            if (r.key() == key && !r.equals(except)) {
                out.add(r);
            }
        }
        return out;
    }

    private List<Registration> othersThan(Registration self) {
        List<Registration> out = new ArrayList<>(registrations);
        out.remove(self);
        return out;
    }

    private void attentionToAllBut(Registration self, dev.lunar.spi.scsi.Sense sense, ReservationEffects fx) {
        for (Registration r : registrations) {
            if (!r.equals(self)) {
                fx.attention(r, sense);
            }
        }
    }

    /**
     * Records the APTPL value of a registration and writes (or, APTPL now 0, deletes) the saved
     * state. Called under the lock so that saves are queued in the order of the changes.
     */
    private CompletableFuture<Void> changed(boolean newAptpl) {
        if (store == null) {
            return null;
        }
        boolean was = aptpl;
        aptpl = newAptpl;
        if (!aptpl) {
            return was ? store.save(null) : null;
        }
        return store.save(snapshot());
    }

    private AptplStore.Snapshot snapshot() {
        return new AptplStore.Snapshot(generation, List.copyOf(registrations), type,
                holder == null ? -1 : registrations.indexOf(holder));
    }
}
