package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.scsi.internal.target.ScsiTarget;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskManagementFunction;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import dev.lunar.spi.scsi.TmfResult;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task management functions (SAM-5 §7) and the other events that abort tasks (I_T nexus loss).
 * Aborted tasks get {@code ScsiTask.aborted()}; the response is sent only once every task the
 * function aborted is really gone, backend I/O included (SAM-5 §7.1), so a write cannot land after
 * the initiator was told it was aborted.
 */
public final class TaskManagement {

    private static final Logger LOG = LoggerFactory.getLogger(TaskManagement.class);

    @FunctionalInterface
    private interface Function {
        void run(ScsiNexus nexus, LogicalUnit lu, TmfRequest request, Consumer<TmfResponse> done);
    }

    private final CommandTable table;
    private final Map<TaskManagementFunction, Function> functions = new EnumMap<>(TaskManagementFunction.class);
    /** Functions that address the target, not a logical unit. */
    private static final Set<TaskManagementFunction> TARGET_SCOPE = Set.of(
            TaskManagementFunction.TARGET_WARM_RESET, TaskManagementFunction.TARGET_COLD_RESET,
            TaskManagementFunction.I_T_NEXUS_RESET);

    public TaskManagement(CommandTable table) {
        this.table = table;
        functions.put(TaskManagementFunction.ABORT_TASK, this::abortTask);
        functions.put(TaskManagementFunction.ABORT_TASK_SET, this::abortTaskSet);
        functions.put(TaskManagementFunction.CLEAR_TASK_SET, this::clearTaskSet);
        functions.put(TaskManagementFunction.CLEAR_ACA, (n, lu, r, done) ->
                // NormACA = 0: an ACA condition never exists, so there is nothing to clear.
                done.accept(TmfResponse.of(TmfResult.FUNCTION_REJECTED)));
        functions.put(TaskManagementFunction.LOGICAL_UNIT_RESET, (n, lu, r, done) ->
                resetLogicalUnits(List.of(lu), SenseCodes.UA_LUN_RESET, done));
        functions.put(TaskManagementFunction.TARGET_WARM_RESET, (n, lu, r, done) ->
                resetLogicalUnits(n.target().logicalUnits(), SenseCodes.UA_BUS_RESET, done));
        functions.put(TaskManagementFunction.TARGET_COLD_RESET, (n, lu, r, done) ->
                resetLogicalUnits(n.target().logicalUnits(), SenseCodes.UA_POWER_ON_RESET, done));
        functions.put(TaskManagementFunction.I_T_NEXUS_RESET, (n, lu, r, done) -> nexusLoss(n, done));
        functions.put(TaskManagementFunction.QUERY_TASK, this::queryTask);
        functions.put(TaskManagementFunction.QUERY_TASK_SET, this::queryTaskSet);
        functions.put(TaskManagementFunction.QUERY_ASYNC_EVENT, this::queryAsyncEvent);
        // TASK REASSIGN is connection allegiance, the iscsi bundle's business: not listed, so rejected.
    }

    /** Nexus.manage. */
    public void manage(ScsiNexus nexus, TmfRequest request, Consumer<TmfResponse> done) {
        Function f = functions.get(request.function());
        if (f == null) {
            done.accept(TmfResponse.of(TmfResult.FUNCTION_REJECTED));
            return;
        }
        LogicalUnit lu = null;
        if (!TARGET_SCOPE.contains(request.function())) {
            lu = nexus.lookup(request.lun());
            if (lu == null) {
                done.accept(TmfResponse.of(TmfResult.INCORRECT_LOGICAL_UNIT_NUMBER));
                return;
            }
        }
        LOG.debug("{}: {} on {}", nexus, request.function(), lu == null ? nexus.target() : lu);
        java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
        Consumer<TmfResponse> once = r -> {
            if (answered.compareAndSet(false, true)) {
                done.accept(r);
            }
        };
        try {
            f.run(nexus, lu, request, once);
        } catch (RuntimeException e) {
            // Nothing throws across the SPI, and the port always gets its one answer.
            LOG.warn("{} on {} failed inside the device server", request.function(), nexus, e);
            once.accept(TmfResponse.of(TmfResult.FUNCTION_REJECTED));
        }
    }

    private void abortTask(ScsiNexus n, LogicalUnit lu, TmfRequest r, Consumer<TmfResponse> done) {
        Command c = lu.taskSet().find(n, r.referencedTag());
        if (c == null) {
            done.accept(TmfResponse.of(TmfResult.TASK_NOT_FOUND));
            return;
        }
        c.abort(() -> done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE)));
    }

    private void abortTaskSet(ScsiNexus n, LogicalUnit lu, TmfRequest r, Consumer<TmfResponse> done) {
        abortAll(lu.taskSet().select(c -> c.nexus() == n),
                () -> done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE)));
    }

    private void clearTaskSet(ScsiNexus n, LogicalUnit lu, TmfRequest r, Consumer<TmfResponse> done) {
        List<Command> all = lu.taskSet().select(c -> true);
        for (Command c : all) {
            if (c.nexus() != n) {
                // TAS = 0: other initiators learn about it from a unit attention (SAM-5 §7.4).
                lu.unitAttentions().establish(c.nexus().name(), SenseCodes.UA_COMMANDS_CLEARED);
            }
        }
        abortAll(all, () -> done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE)));
    }

    /** LOGICAL UNIT RESET / target reset (SAM-5 §6.3.3). */
    private void resetLogicalUnits(List<LogicalUnit> lus, Sense ua, Consumer<TmfResponse> done) {
        List<Command> all = new ArrayList<>();
        for (LogicalUnit lu : lus) {
            all.addAll(lu.taskSet().select(c -> true));
        }
        abortAll(all, () -> {
            for (LogicalUnit lu : lus) {
                for (LogicalUnitListener l : table.listeners()) {
                    l.reset(lu);
                }
                lu.unitAttentions().establishForAll(ua, null);
            }
            done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE));
        });
    }

    /**
     * I_T nexus loss or I_T NEXUS RESET (SAM-5 §6.3.4): aborts the nexus's tasks on every LU of
     * its target, tells listeners (RESERVE(6) reservations end), establishes I_T NEXUS LOSS
     * OCCURRED for that nexus.
     *
     * @param done response for I_T NEXUS RESET, or null for a nexus closed by the port
     */
    public void nexusLoss(ScsiNexus n, Consumer<TmfResponse> done) {
        ScsiTarget t = n.target();
        List<LogicalUnit> lus = t.logicalUnits();
        List<Command> all = new ArrayList<>();
        for (LogicalUnit lu : lus) {
            all.addAll(lu.taskSet().select(c -> c.nexus() == n));
        }
        abortAll(all, () -> {
            for (LogicalUnit lu : lus) {
                for (LogicalUnitListener l : table.listeners()) {
                    l.nexusLost(lu, n);
                }
                if (done != null) {
                    // I_T NEXUS RESET: the nexus goes on and learns of it. After a real loss a new
                    // login under the same name starts with POWER ON instead (see nexusOpened).
                    lu.unitAttentions().establish(n.name(), SenseCodes.UA_NEXUS_LOSS);
                }
            }
            if (done != null) {
                done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE));
            }
        });
    }

    private void queryTask(ScsiNexus n, LogicalUnit lu, TmfRequest r, Consumer<TmfResponse> done) {
        Command c = lu.taskSet().find(n, r.referencedTag());
        done.accept(TmfResponse.of(c != null && !c.isFinished() ? TmfResult.FUNCTION_SUCCEEDED
                : TmfResult.TASK_NOT_FOUND));
    }

    private void queryTaskSet(ScsiNexus n, LogicalUnit lu, TmfRequest r, Consumer<TmfResponse> done) {
        boolean any = !lu.taskSet().select(c -> c.nexus() == n && !c.isFinished()).isEmpty();
        done.accept(TmfResponse.of(any ? TmfResult.FUNCTION_SUCCEEDED : TmfResult.FUNCTION_COMPLETE));
    }

    /** QUERY ASYNCHRONOUS EVENT (SAM-5 §7.8): reports, without clearing, a pending unit attention. */
    private void queryAsyncEvent(ScsiNexus n, LogicalUnit lu, TmfRequest r, Consumer<TmfResponse> done) {
        Sense ua = lu.unitAttentions().peek(n.name());
        if (ua == null) {
            done.accept(TmfResponse.of(TmfResult.FUNCTION_COMPLETE));
            return;
        }
        int info = (ua.key() << 16) | (ua.asc() << 8) | ua.ascq();
        done.accept(new TmfResponse(TmfResult.FUNCTION_SUCCEEDED, info));
    }

    /** Aborts every command; {@code then} runs once all of them are gone. */
    static void abortAll(List<Command> commands, Runnable then) {
        if (commands.isEmpty()) {
            then.run();
            return;
        }
        for (Command c : commands) {
            c.markAbortRequested();
        }
        AtomicInteger left = new AtomicInteger(commands.size());
        for (Command c : commands) {
            c.abort(() -> {
                if (left.decrementAndGet() == 0) {
                    then.run();
                }
            });
        }
    }
}
