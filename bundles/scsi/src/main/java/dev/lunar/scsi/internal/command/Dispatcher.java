package dev.lunar.scsi.internal.command;

import dev.lunar.api.IoStatsRecorder;
import dev.lunar.scsi.internal.lun.BackendHold;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.sense.SenseEncoder;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a task from a port to its handler: LUN and opcode lookup in the {@link CommandTable},
 * CDB control byte, task set admission (SAM-5 §8.6), then, once the task is enabled, the checks
 * SPC-4 orders before a command runs: unit attention (§5.14), gates such as reservations (§5.12),
 * NOT READY (SBC-3 §4.17), write protection.
 */
public final class Dispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** Opcodes whose SERVICE ACTION is in byte 1 bits 4..0 (SPC-4 §4.2.5.1). */
    private final CommandTable table;
    private final AtomicLong sequence = new AtomicLong();

    public Dispatcher(CommandTable table) {
        this.table = table;
    }

    /**
     * Nexus.execute: called on the session's I/O thread in command order; never blocks, never
     * throws (STYLE rule 6: a bug here becomes HARDWARE ERROR sense for that task, not an
     * exception in the port).
     */
    public void execute(ScsiNexus nexus, ScsiTask task) {
        Command c;
        try {
            c = admit(nexus, task);
        } catch (RuntimeException e) {
            LOG.warn("Could not dispatch a task of {}", nexus, e);
            reject(task, SenseCodes.INTERNAL_TARGET_FAILURE, false);
            return;
        }
        if (c != null) {
            start(c);
        }
    }

    /**
     * Everything up to task set admission; returns the command when it may start now, null when
     * it was answered already or waits in the task set.
     */
    private Command admit(ScsiNexus nexus, ScsiTask task) {
        ByteBuffer cdb = task.cdb(); // once: a port may hand out a new duplicate per call
        if (cdb.limit() < 1) {
            reject(task, SenseCodes.INVALID_OPCODE, false);
            return null;
        }
        LogicalUnit lu = nexus.lookup(task.lun()); // ACL-masked LUNs look unmapped
        int opcode = cdb.get(0) & 0xff;
        int serviceAction = cdb.limit() > 1 ? cdb.get(1) & 0x1f : 0;
        CommandDescriptor d = table.lookup(opcode, serviceAction);
        if (lu == null && (d == null || !d.has(CommandFlag.WITHOUT_LOGICAL_UNIT))) {
            // SPC-4 (INQUIRY, REPORT LUNS, REQUEST SENSE clauses): a command to an unmapped LUN other than INQUIRY, REPORT LUNS and
            // REQUEST SENSE gets LOGICAL UNIT NOT SUPPORTED.
            reject(task, SenseCodes.LUN_NOT_SUPPORTED, false);
            return null;
        }
        boolean dsense = lu != null && lu.modePages().descriptorSense();
        if (d == null) {
            answeredAtAdmission(lu, opcode, true);
            reject(task, table.hasServiceActions(opcode)
                    ? SenseCodes.INVALID_FIELD_IN_CDB.withFieldPointer(true, 1, 4)
                    : SenseCodes.INVALID_OPCODE, dsense);
            return null;
        }
        Command c = new Command(task, cdb, nexus, lu, d, sequence.incrementAndGet());
        // NACA = 1 needs NormACA support we do not claim in INQUIRY (SAM-5 §5.8.2).
        int control = c.control();
        if ((control & 0x04) != 0) {
            int len = CommandDescriptor.cdbLength(opcode);
            answeredAtAdmission(lu, opcode, true);
            reject(task, SenseCodes.INVALID_FIELD_IN_CDB.withFieldPointer(true, len - 1, 2), dsense);
            return null;
        }
        if (task.attribute() == TaskAttribute.ACA) {
            // No ACA condition ever exists here (NormACA = 0), so an ACA task is an error (SAM-5 §8.6.5).
            answeredAtAdmission(lu, opcode, true);
            reject(task, SenseCodes.INVALID_MESSAGE, dsense);
            return null;
        }
        if (lu == null) {
            return c;
        }
        lu.unitAttentions().nexusSeen(nexus.name(), SenseCodes.UA_POWER_ON_RESET);
        TaskSet ts = lu.taskSet();
        TaskSet.Admission a = ts.admit(c);
        switch (a) {
            case FULL -> {
                LOG.debug("{}: task set full, {}", lu, c);
                answeredAtAdmission(lu, opcode, false);
                task.complete(ScsiStatus.TASK_SET_FULL, null);
                return null;
            }
            case OVERLAPPED -> {
                answeredAtAdmission(lu, opcode, true);
                overlapped(ts, c, dsense);
                return null;
            }
            case ENABLED, DORMANT -> {
                c.joinTaskSet(this, ts);
                return a == TaskSet.Admission.ENABLED ? c : null;
            }
            default -> throw new IllegalStateException(a.name());
        }
    }

    /**
     * A tag still in use on this nexus (SAM-5 §5.9): abort the existing task and answer the new
     * one with OVERLAPPED COMMANDS ATTEMPTED.
     */
    private void overlapped(TaskSet ts, Command c, boolean dsense) {
        Command old = ts.find(c.nexus(), c.tag());
        LOG.warn("{}: overlapped command, tag 0x{} is in use", c.nexus(), Long.toHexString(c.tag()));
        if (old != null) {
            old.abort(() -> { });
        }
        reject(c.task(), SenseCodes.OVERLAPPED_COMMANDS, dsense);
    }

    /** The task set hook of a command that ended: starts the tasks its end enabled. */
    void taskEnded(TaskSet ts, Command c) {
        List<Command> enabled = ts.remove(c);
        for (int i = 0; i < enabled.size(); i++) { // indexed: no iterator per command
            start(enabled.get(i));
        }
    }

    /** Runs the pre-execution checks and the handler of an enabled task. */
    void start(Command c) {
        if (!c.markStarted()) {
            return;
        }
        CommandDescriptor d = c.descriptor();
        LogicalUnit lu = c.lu();
        try {
            if (lu != null) {
                if (!d.has(CommandFlag.NO_UNIT_ATTENTION)) {
                    Sense ua = lu.unitAttentions().take(c.nexus().name());
                    if (ua != null) {
                        c.fail(ua);
                        return;
                    }
                }
                Sense inaccessible = PortGroupCommands.inaccessible(c); // ALUA standby/unavailable (SPC-4 §5.16.2.4)
                if (inaccessible != null) {
                    c.fail(inaccessible);
                    return;
                }
                List<CommandGate> gates = table.gates();
                for (int i = 0; i < gates.size(); i++) { // indexed: no iterator per command
                    if (!gates.get(i).admit(c)) {
                        return;
                    }
                }
                if (d.has(CommandFlag.MEDIUM) && c.device() == null && BackendHold.of(lu).offer(c, () -> proceed(c))) {
                    return; // backend being replaced: held until it binds, within the LUN's grace (DESIGN §3.5)
                }
            }
            proceed(c);
        } catch (RuntimeException e) {
            LOG.warn("Handler of {} threw", c, e);
            c.fail(SenseCodes.INTERNAL_TARGET_FAILURE);
        }
    }

    /** The medium checks and the handler; where a command held for a backend resumes. */
    private void proceed(Command c) {
        CommandDescriptor d = c.descriptor();
        LogicalUnit lu = c.lu();
        try {
            if (lu != null) {
                if (d.has(CommandFlag.MEDIUM) && (c.device() == null || !lu.mediumLoaded())) {
                    Sense notReady = lu.notReadySense();
                    c.fail(notReady != null ? notReady : SenseCodes.NOT_READY_BECOMING_READY);
                    return;
                }
                if (d.has(CommandFlag.WRITES_MEDIUM) && c.writeProtected()) {
                    c.fail(SenseCodes.WRITE_PROTECTED);
                    return;
                }
            }
            d.handler().execute(c);
        } catch (RuntimeException e) {
            LOG.warn("Handler of {} threw", c, e);
            c.fail(SenseCodes.INTERNAL_TARGET_FAILURE);
        }
    }

    /**
     * Counts a command the dispatcher answered itself before it became a task of the LU (invalid
     * opcode, NACA, ACA, TASK SET FULL, overlapped tag): such commands never reach
     * {@link Command}'s completion, where everything else is counted. Latency 0: answered at once.
     */
    private static void answeredAtAdmission(LogicalUnit lu, int opcode, boolean error) {
        if (lu != null) {
            lu.ioStats().record(IoStatsRecorder.kindOf(opcode), 0, 0, error);
        }
    }

    private static void reject(ScsiTask task, Sense sense, boolean descriptor) {
        task.complete(ScsiStatus.CHECK_CONDITION, SenseEncoder.encode(sense, descriptor));
    }
}
