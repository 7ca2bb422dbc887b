package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandTable.usage;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.pr.PrType;
import dev.lunar.scsi.internal.pr.Registration;
import dev.lunar.scsi.internal.pr.ReservationEffects;
import dev.lunar.scsi.internal.pr.ReservationState;
import dev.lunar.scsi.internal.pr.TransportIds;
import dev.lunar.scsi.internal.pr.Verdict;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations: RESERVE(6)/(10) and RELEASE(6)/(10) (SPC-2, third-party forms not supported),
 * PERSISTENT RESERVE IN and OUT (SPC-4), the reservation gate every command passes (SPC-4's table
 * of commands allowed in the presence of each reservation type, and the SPC-2 rules), and the
 * reset/nexus-loss behaviour: an SPC-2 reservation ends with its nexus or a reset, persistent
 * reservations do not.
 *
 * <p>State lives in {@link ReservationState}, one per LU, created (and its APTPL file read) on
 * the LU's first command.
 */
final class ReservationCommands {

    private static final Logger LOG = LoggerFactory.getLogger(ReservationCommands.class);

    static final int PERSISTENT_RESERVE_IN = 0x5e;
    static final int PERSISTENT_RESERVE_OUT = 0x5f;

    static final int SA_READ_KEYS = 0x00;
    static final int SA_READ_RESERVATION = 0x01;
    static final int SA_REPORT_CAPABILITIES = 0x02;
    static final int SA_READ_FULL_STATUS = 0x03;

    static final int SA_REGISTER = 0x00;
    static final int SA_RESERVE = 0x01;
    static final int SA_RELEASE = 0x02;
    static final int SA_CLEAR = 0x03;
    static final int SA_PREEMPT = 0x04;
    static final int SA_PREEMPT_AND_ABORT = 0x05;
    static final int SA_REGISTER_AND_IGNORE_EXISTING_KEY = 0x06;
    static final int SA_REGISTER_AND_MOVE = 0x07;

    /** The basic PERSISTENT RESERVE OUT parameter list (SPC-4). */
    private static final int BASIC_PARAMETER_LIST = 24;
    /** REGISTER AND MOVE carries one TransportID; iSCSI names are at most 223 bytes (RFC 7143). */
    private static final int MAX_PARAMETER_LIST = BASIC_PARAMETER_LIST + 1024;

    /** How a command is affected by a persistent reservation it does not hold (SPC-4 table 64). */
    enum Access {
        /** Allowed under every reservation type. */
        ALWAYS,
        /** Reads the medium: allowed under Write Exclusive types, conflicts under Exclusive Access. */
        READ,
        /** Changes the medium or the LU: conflicts under every type. */
        WRITE
    }

    private static final Access[] ACCESS = new Access[256];
    /** Commands an SPC-2 reservation lets through from other nexuses (SPC-2). */
    private static final boolean[] SPC2_ALLOWED = new boolean[256];

    static {
        Arrays.fill(ACCESS, Access.WRITE);
        for (int op : new int[] {0x00, 0x03, 0x12, 0xa0, 0x25, 0x4d, 0xa3, 0x84,
                PERSISTENT_RESERVE_IN, PERSISTENT_RESERVE_OUT,
                // RESERVE/RELEASE decide themselves: SPC-4's exceptions to SPC-2 RESERVE and
                // RELEASE apply while PRs exist.
                0x16, 0x17, 0x56, 0x57}) {
            ACCESS[op] = Access.ALWAYS;
        }
        for (int op : new int[] {0x08, 0x28, 0xa8, 0x88, 0x2f, 0xaf, 0x8f, 0x34, 0x90, 0x1a, 0x5a, 0x37, 0xb7,
                0x3c}) {
            ACCESS[op] = Access.READ;
        }
        for (int op : new int[] {0x12, 0xa0, 0x03, 0x17, 0x57, 0xa3}) {
            SPC2_ALLOWED[op] = true;
        }
    }

    private ReservationCommands() {
    }

    static void register(CommandTable t) {
        t.add(0x16, "RESERVE(6)", usage(0x16, 0x1f, 0, 0, 0, 0x07), ReservationCommands::reserveSpc2);
        t.add(0x17, "RELEASE(6)", usage(0x17, 0x1f, 0, 0, 0, 0x07), ReservationCommands::releaseSpc2);
        t.add(0x56, "RESERVE(10)", usage(0x56, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0x07), ReservationCommands::reserveSpc2);
        t.add(0x57, "RELEASE(10)", usage(0x57, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0x07), ReservationCommands::releaseSpc2);

        prin(t, SA_READ_KEYS, "READ KEYS", ReservationCommands::readKeys);
        prin(t, SA_READ_RESERVATION, "READ RESERVATION", ReservationCommands::readReservation);
        prin(t, SA_REPORT_CAPABILITIES, "REPORT CAPABILITIES", ReservationCommands::reportCapabilities);
        prin(t, SA_READ_FULL_STATUS, "READ FULL STATUS", ReservationCommands::readFullStatus);

        prout(t, SA_REGISTER, "REGISTER", false, c -> registerKey(c, false));
        prout(t, SA_REGISTER_AND_IGNORE_EXISTING_KEY, "REGISTER AND IGNORE EXISTING KEY", false,
                c -> registerKey(c, true));
        prout(t, SA_RESERVE, "RESERVE", true, ReservationCommands::reserve);
        prout(t, SA_RELEASE, "RELEASE", true, ReservationCommands::release);
        prout(t, SA_CLEAR, "CLEAR", false, ReservationCommands::clear);
        prout(t, SA_PREEMPT, "PREEMPT", true, c -> preempt(c, false));
        prout(t, SA_PREEMPT_AND_ABORT, "PREEMPT AND ABORT", true, c -> preempt(c, true));
        prout(t, SA_REGISTER_AND_MOVE, "REGISTER AND MOVE", false, ReservationCommands::registerAndMove);

        t.addGate(ReservationCommands::admit);
        t.addListener(new LogicalUnitListener() {
            @Override
            public void added(LogicalUnit lu) {
                // SPC-4 APTPL: the restored reservations hold from power on, not from the first
                // command that happens to look.
                state(lu);
            }

            @Override
            public void nexusLost(LogicalUnit lu, ScsiNexus nexus) {
                ReservationState s = lu.extensionIfPresent(ReservationState.class);
                if (s != null) {
                    s.nexusLost(nexus.name());
                }
            }

            @Override
            public void reset(LogicalUnit lu) {
                ReservationState s = lu.extensionIfPresent(ReservationState.class);
                if (s != null) {
                    s.reset();
                }
            }
        });
    }

    private static void prin(CommandTable t, int sa, String name, CommandHandler h) {
        t.add(PERSISTENT_RESERVE_IN, sa, "PERSISTENT RESERVE IN/" + name,
                usage(PERSISTENT_RESERVE_IN, sa, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07), h);
    }

    /** {@code usesType}: the service action reads SCOPE and TYPE (CDB byte 2). */
    private static void prout(CommandTable t, int sa, String name, boolean usesType, CommandHandler h) {
        t.add(PERSISTENT_RESERVE_OUT, sa, "PERSISTENT RESERVE OUT/" + name,
                usage(PERSISTENT_RESERVE_OUT, sa, usesType ? 0xff : 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07), h);
    }

    static ReservationState state(LogicalUnit lu) {
        return lu.extension(ReservationState.class, ReservationState::new);
    }

    // ------------------------------------------------------------------ the gate

    /**
     * SPC-4 reservations overview and SPC-2: RESERVATION CONFLICT for a command the reservations of
     * this LU do not let through from this nexus. Runs after the unit attention check.
     */
    static boolean admit(Command c) {
        if (allowed(state(c.lu()), c)) {
            return true;
        }
        // Completed outside the state's lock: completion starts dormant tasks, whose gates lock it again.
        c.complete(ScsiStatus.RESERVATION_CONFLICT, null);
        return false;
    }

    private static boolean allowed(ReservationState s, Command c) {
        ScsiNexus n = c.nexus();
        synchronized (s) {
            if (s.idle()) {
                return true;
            }
            String spc2 = s.spc2Holder();
            if (spc2 != null && !spc2.equals(n.name()) && !spc2Allowed(c)) {
                return false;
            }
            PrType type = s.type();
            if (type == null) {
                return true;
            }
            Registration r = s.registrationOf(n);
            if (s.isHolder(r) || (r != null && type.registrantsHaveAccess())) {
                return true;
            }
            Access a = access(c);
            return a == Access.ALWAYS || (a == Access.READ && !type.exclusiveAccess());
        }
    }

    private static boolean spc2Allowed(Command c) {
        int op = c.opcode();
        if (op == 0x1e) {
            return c.bits(4, 0, 2) == 0; // PREVENT ALLOW MEDIUM REMOVAL with PREVENT = 0
        }
        return SPC2_ALLOWED[op];
    }

    static Access access(Command c) {
        int op = c.opcode();
        if (op == CapacityCommands.SERVICE_ACTION_IN_16) {
            int sa = c.bits(1, 0, 5);
            return sa == CapacityCommands.SA_READ_CAPACITY_16 ? Access.ALWAYS : Access.READ;
        }
        if (op == 0x1e) {
            return c.bits(4, 0, 2) == 0 ? Access.ALWAYS : Access.WRITE;
        }
        return ACCESS[op];
    }

    // ------------------------------------------------------------------ SPC-2 RESERVE / RELEASE

    /** Third-party reservations and extents (byte 1 bits 4..0) are not supported. */
    private static boolean checkSpc2Cdb(Command c) {
        int flags = c.bits(1, 0, 5);
        if (flags != 0) {
            c.invalidField(1, 31 - Integer.numberOfLeadingZeros(flags));
            return false;
        }
        return true;
    }

    private static void reserveSpc2(Command c) {
        if (checkSpc2Cdb(c)) {
            finish(c, state(c.lu()).reserveSpc2(c.nexus()));
        }
    }

    private static void releaseSpc2(Command c) {
        if (checkSpc2Cdb(c)) {
            finish(c, state(c.lu()).releaseSpc2(c.nexus()));
        }
    }

    // ------------------------------------------------------------------ PERSISTENT RESERVE IN

    private static void readKeys(Command c) {
        ReservationState s = state(c.lu());
        ByteBuffer b;
        synchronized (s) {
            List<Registration> regs = s.registrations();
            b = ByteBuffer.allocate(8 + 8 * regs.size());
            b.putInt((int) s.generation()).putInt(8 * regs.size());
            for (Registration r : regs) {
                b.putLong(r.key());
            }
        }
        // ADDITIONAL LENGTH reports the whole list even when the allocation length cuts it (SPC-4 READ KEYS).
        c.respond(b.array(), b.capacity(), c.u16(7));
    }

    private static void readReservation(Command c) {
        ReservationState s = state(c.lu());
        ByteBuffer b;
        synchronized (s) {
            PrType type = s.type();
            b = ByteBuffer.allocate(type == null ? 8 : 24);
            b.putInt((int) s.generation()).putInt(type == null ? 0 : 16);
            if (type != null) {
                // An all-registrants reservation has no single key: RESERVATION KEY is zero (SPC-4
                // READ RESERVATION).
                b.putLong(type.allRegistrants() ? 0 : s.holder().key());
                b.putInt(0).put((byte) 0).put((byte) type.code()).putShort((short) 0);
            }
        }
        c.respond(b.array(), b.capacity(), c.u16(7));
    }

    private static void reportCapabilities(Command c) {
        ReservationState s = state(c.lu());
        byte[] b = new byte[8];
        b[1] = 8;
        // CRH: RESERVE/RELEASE follow SPC-4's exceptions to SPC-2 behaviour; ATP_C: ALL_TG_PT
        // honoured; SIP_C = 0: SPEC_I_PT is refused; PTPL_C only where a state directory can keep
        // the state across power loss.
        b[2] = (byte) (0x10 | 0x04 | (s.persistenceCapable() ? 0x01 : 0));
        // TMV: the type mask is valid; ALLOW COMMANDS 001b: TEST UNIT READY passes WE and EA reservations.
        b[3] = (byte) (0x80 | (0x1 << 4) | (s.aptpl() ? 0x01 : 0));
        int mask = 0;
        for (PrType t : PrType.values()) {
            mask |= t.typeMaskBit();
        }
        b[4] = (byte) (mask >>> 8);
        b[5] = (byte) mask;
        c.respond(b, b.length, c.u16(7));
    }

    private static void readFullStatus(Command c) {
        ReservationState s = state(c.lu());
        List<byte[]> descriptors = new ArrayList<>();
        long generation;
        synchronized (s) {
            generation = s.generation();
            PrType type = s.type();
            for (Registration r : s.registrations()) {
                byte[] tid = TransportIds.encode(r.initiatorPort());
                ByteBuffer d = ByteBuffer.allocate(24 + tid.length);
                d.putLong(r.key()).putInt(0);
                boolean holder = s.isHolder(r);
                d.put((byte) ((r.allTargetPorts() ? 0x02 : 0) | (holder ? 0x01 : 0)));
                d.put((byte) (holder ? type.code() : 0));
                d.putInt(0);
                d.putShort((short) r.relativeTargetPortId());
                d.putInt(tid.length);
                d.put(tid);
                descriptors.add(d.array());
            }
        }
        int total = descriptors.stream().mapToInt(d -> d.length).sum();
        ByteBuffer b = ByteBuffer.allocate(8 + total);
        b.putInt((int) generation).putInt(total);
        descriptors.forEach(b::put);
        c.respond(b.array(), b.capacity(), c.u16(7));
    }

    // ------------------------------------------------------------------ PERSISTENT RESERVE OUT

    /** The basic parameter list of every service action but REGISTER AND MOVE (SPC-4). */
    private record Parameters(long key, long serviceActionKey, boolean specIPt, boolean allTargetPorts,
            boolean aptpl) {
    }

    @FunctionalInterface
    private interface ServiceAction {
        void run(Command c, ReservationState s, Parameters p);
    }

    /**
     * Checks the CDB and the parameter list of a basic service action, then runs it. Scope and type
     * are checked only where the service action uses them ({@code usesType}).
     */
    private static void withParameters(Command c, boolean usesType, boolean registers, ServiceAction action) {
        if (usesType) {
            if (c.bits(2, 4, 4) != 0) {
                c.invalidField(2, 7); // only LU_SCOPE exists in SPC-4
                return;
            }
            if (PrType.of(c.bits(2, 0, 4)) == null) {
                c.invalidField(2, 3);
                return;
            }
        }
        long length = c.u32(5);
        // SPC-4: 24 bytes unless SPEC_I_PT = 1 adds TransportIDs (REGISTER only); anything
        // else is a PARAMETER LIST LENGTH ERROR.
        if (length < BASIC_PARAMETER_LIST || length > MAX_PARAMETER_LIST
                || (!registers && length != BASIC_PARAMETER_LIST)) {
            c.parameterListLengthError();
            return;
        }
        c.receiveParameterList((int) length, data -> {
            ByteBuffer b = ByteBuffer.wrap(data);
            Parameters p = new Parameters(b.getLong(0), b.getLong(8), (data[20] & 0x08) != 0,
                    (data[20] & 0x04) != 0, (data[20] & 0x01) != 0);
            ReservationState s = state(c.lu());
            if (p.specIPt()) {
                // SIP_C = 0 in REPORT CAPABILITIES: registering other I_T nexuses is not supported.
                c.invalidParameter(20, 3);
                return;
            }
            if (length != BASIC_PARAMETER_LIST) {
                c.parameterListLengthError();
                return;
            }
            if (p.allTargetPorts() && !registers) {
                c.invalidParameter(20, 2);
                return;
            }
            if (p.aptpl() && registers && !s.persistenceCapable()) {
                c.invalidParameter(20, 0);
                return;
            }
            action.run(c, s, p);
        });
    }

    private static void registerKey(Command c, boolean ignoreExisting) {
        withParameters(c, false, true, (cmd, s, p) -> {
            Effects fx = new Effects(cmd);
            finish(cmd, s.register(cmd.nexus(), p.key(), p.serviceActionKey(), ignoreExisting,
                    p.allTargetPorts(), p.aptpl(), fx));
        });
    }

    private static void reserve(Command c) {
        withParameters(c, true, false, (cmd, s, p) ->
                finish(cmd, s.reserve(cmd.nexus(), p.key(), PrType.of(cmd.bits(2, 0, 4)))));
    }

    private static void release(Command c) {
        withParameters(c, true, false, (cmd, s, p) ->
                finish(cmd, s.release(cmd.nexus(), p.key(), PrType.of(cmd.bits(2, 0, 4)), new Effects(cmd))));
    }

    private static void clear(Command c) {
        withParameters(c, false, false, (cmd, s, p) ->
                finish(cmd, s.clear(cmd.nexus(), p.key(), new Effects(cmd))));
    }

    private static void preempt(Command c, boolean abort) {
        withParameters(c, true, false, (cmd, s, p) -> {
            Effects fx = new Effects(cmd);
            Verdict v = s.preempt(cmd.nexus(), p.key(), p.serviceActionKey(), PrType.of(cmd.bits(2, 0, 4)),
                    abort, fx);
            if (!abort || v.status() != ScsiStatus.GOOD || fx.abortVictims.isEmpty()) {
                finish(cmd, v);
                return;
            }
            abortTasks(cmd, fx.abortVictims, () -> finish(cmd, v));
        });
    }

    /**
     * PREEMPT AND ABORT (SPC-4 "Preempting and aborting"): the preempted nexuses' tasks are aborted
     * as by ABORT TASK SET; the command completes once they are gone.
     */
    private static void abortTasks(Command c, List<Registration> victims, Runnable then) {
        List<Command> tasks = c.lu().taskSet().select(t -> t != c && victims.stream().anyMatch(
                r -> r.covers(t.nexus())));
        if (tasks.isEmpty()) {
            then.run();
            return;
        }
        LOG.debug("{}: PREEMPT AND ABORT aborts {} tasks", c.lu(), tasks.size());
        AtomicInteger left = new AtomicInteger(tasks.size());
        for (Command t : tasks) {
            t.abort(() -> {
                if (left.decrementAndGet() == 0) {
                    then.run();
                }
            });
        }
    }

    /** REGISTER AND MOVE (SPC-4): its own parameter list with a TransportID. */
    private static void registerAndMove(Command c) {
        long length = c.u32(5);
        if (length < BASIC_PARAMETER_LIST || length > MAX_PARAMETER_LIST) {
            c.parameterListLengthError();
            return;
        }
        c.receiveParameterList((int) length, data -> {
            ByteBuffer b = ByteBuffer.wrap(data);
            long key = b.getLong(0);
            long serviceActionKey = b.getLong(8);
            boolean unregister = (data[17] & 0x02) != 0;
            boolean aptpl = (data[17] & 0x01) != 0;
            int relativePort = b.getShort(18) & 0xffff;
            long tidLength = b.getInt(20) & 0xffffffffL;
            if (BASIC_PARAMETER_LIST + tidLength > length) {
                c.parameterListLengthError();
                return;
            }
            TransportIds.Decoded tid = TransportIds.decode(data, BASIC_PARAMETER_LIST, (int) tidLength);
            if (tid == null) {
                c.invalidParameter(BASIC_PARAMETER_LIST, -1);
                return;
            }
            ReservationState s = state(c.lu());
            if (aptpl && !s.persistenceCapable()) {
                c.invalidParameter(17, 0);
                return;
            }
            String targetPort = targetPortOf(c.nexus(), relativePort);
            if (targetPort == null) {
                c.invalidParameter(18, -1);
                return;
            }
            String initiatorPort = tid.initiatorPort() != null ? tid.initiatorPort()
                    : onlyPortOf(c.nexus(), tid.name(), targetPort);
            if (initiatorPort == null) {
                // A name-only TransportID is usable only when it names exactly one connected port.
                c.invalidParameter(BASIC_PARAMETER_LIST, -1);
                return;
            }
            finish(c, s.registerAndMove(c.nexus(), key, serviceActionKey, initiatorPort, targetPort, relativePort,
                    unregister, aptpl, new Effects(c)));
        });
    }

    private static String targetPortOf(ScsiNexus n, int relativePort) {
        if (n.relativeTargetPortId() == relativePort) {
            return n.targetPort();
        }
        for (ScsiNexus other : n.target().nexuses()) {
            if (other.relativeTargetPortId() == relativePort) {
                return other.targetPort();
            }
        }
        return null;
    }

    private static String onlyPortOf(ScsiNexus n, String initiatorName, String targetPort) {
        String found = null;
        for (ScsiNexus other : n.target().nexuses()) {
            if (other.initiatorName().equals(initiatorName) && other.targetPort().equals(targetPort)) {
                if (found != null && !found.equals(other.initiatorPort())) {
                    return null;
                }
                found = other.initiatorPort();
            }
        }
        return found;
    }

    // ------------------------------------------------------------------ completion and effects

    /** Completes with the verdict, after the APTPL write when there is one. */
    private static void finish(Command c, Verdict v) {
        if (v.persisted() == null) {
            complete(c, v);
            return;
        }
        v.persisted().whenComplete((ok, error) -> {
            if (error != null) {
                // The change is in effect but would not survive a power loss: say so rather than GOOD.
                c.fail(SenseCodes.INTERNAL_TARGET_FAILURE);
            } else {
                complete(c, v);
            }
        });
    }

    private static void complete(Command c, Verdict v) {
        c.complete(v.status(), v.sense());
    }

    /**
     * Unit attentions go to every nexus a registration covers: the one it was made through and,
     * for ALL_TG_PT registrations, the initiator port's nexuses on the other target ports.
     */
    private static final class Effects implements ReservationEffects {
        private final Command c;
        final List<Registration> abortVictims = new ArrayList<>();

        Effects(Command c) {
            this.c = c;
        }

        @Override
        public void attention(Registration r, Sense sense) {
            Set<String> names = new LinkedHashSet<>();
            names.add(r.nexusName());
            if (r.allTargetPorts()) {
                for (ScsiNexus n : c.nexus().target().nexuses()) {
                    if (r.covers(n)) {
                        names.add(n.name());
                    }
                }
            }
            for (String name : names) {
                c.lu().unitAttentions().establish(name, sense);
            }
        }

        @Override
        public void abortTasksOf(Registration r) {
            abortVictims.add(r);
        }
    }
}
