package dev.lunar.spi.scsi;

import dev.lunar.spi.buffer.DataBuffer;
import org.osgi.annotation.versioning.ProviderType;

/** Receives Data-Out fetched by the port for the device server. Implemented by the scsi core. */
@ProviderType
public interface DataReceiver {

    /**
     * The bytes asked for have arrived. Called on any thread, exactly once per request, unless
     * {@link #failed} is called instead; takes ownership of {@code data}.
     */
    void received(DataBuffer data);

    /**
     * The data cannot arrive: the task was aborted or the connection was lost. The device
     * server stops the task and completes nothing further for it.
     */
    void failed(Sense reason);
}
