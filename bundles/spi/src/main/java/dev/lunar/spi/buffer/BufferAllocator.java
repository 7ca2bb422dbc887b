package dev.lunar.spi.buffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Hands out task data buffers. Each transport provides one per connection, so that iSER can
 * return registered memory and an offload engine can place Data-Out payload directly.
 */
@ConsumerType
public interface BufferAllocator {

    /**
     * A writable memory buffer of exactly {@code length} bytes (contents unspecified). Called on
     * any thread; must not block; the caller owns the one reference of the result.
     *
     * @return the buffer, or {@code null} when the allocator's memory budget is exhausted (the
     *     caller must back off, never wait)
     */
    DataBuffer allocate(int length);
}
