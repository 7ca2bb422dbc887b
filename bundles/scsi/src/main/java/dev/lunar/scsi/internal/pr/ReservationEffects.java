package dev.lunar.scsi.internal.pr;

import dev.lunar.spi.scsi.Sense;

/**
 * What a reservation change does outside the reservation state: unit attentions for the nexuses of
 * a registration and aborted tasks (PREEMPT AND ABORT). Called by {@link ReservationState} while
 * it holds its lock, so implementations must only record or hand off work, never block or call
 * back into the state.
 */
public interface ReservationEffects {

    /** Establish {@code sense} as a unit attention for every I_T nexus of {@code r}. */
    void attention(Registration r, Sense sense);

    /** {@code r} was removed by PREEMPT AND ABORT: its nexuses' tasks are to be aborted. */
    default void abortTasksOf(Registration r) {
    }

    ReservationEffects NONE = (r, s) -> { };
}
