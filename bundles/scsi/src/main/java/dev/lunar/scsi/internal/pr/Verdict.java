package dev.lunar.scsi.internal.pr;

import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.Sense;
import java.util.concurrent.CompletableFuture;

/**
 * Outcome of a reservation service action: the status to complete the command with, and, when the
 * change must survive a power loss (APTPL), the write that has to finish before status is sent.
 *
 * @param status GOOD, RESERVATION CONFLICT or CHECK CONDITION
 * @param sense the sense for CHECK CONDITION, else null
 * @param persisted completes when the new state is on stable storage; null when nothing is written
 */
public record Verdict(ScsiStatus status, Sense sense, CompletableFuture<Void> persisted) {

    public static final Verdict GOOD = new Verdict(ScsiStatus.GOOD, null, null);
    public static final Verdict CONFLICT = new Verdict(ScsiStatus.RESERVATION_CONFLICT, null, null);

    public static Verdict check(Sense sense) {
        return new Verdict(ScsiStatus.CHECK_CONDITION, sense, null);
    }

    Verdict persistedBy(CompletableFuture<Void> write) {
        return write == null ? this : new Verdict(status, sense, write);
    }
}
