package dev.lunar.spi.scsi;

import java.util.function.Consumer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * An I_T nexus: one initiator port logged in to one target port. Opened by the port when a
 * session reaches full feature phase and closed when the session ends. Implemented by the scsi
 * core.
 */
@ProviderType
public interface Nexus {

    /**
     * Starts a command, honouring its task attribute. Called on the session's I/O thread in
     * command order; must not block; the task is completed later through its own methods.
     */
    void execute(ScsiTask task);

    /**
     * Runs a task management function. Tasks it aborts get {@link ScsiTask#aborted()} before
     * {@code done} runs. {@code done} runs exactly once, on any thread.
     */
    void manage(TmfRequest request, Consumer<TmfResponse> done);

    /**
     * Ends the nexus (I_T nexus loss, SAM-5 §6.3.4): aborts its tasks and establishes the unit
     * attentions SPC-4 asks for. Idempotent.
     */
    void close();
}
