package dev.lunar.spi.buffer;

import java.nio.channels.FileChannel;

/**
 * Where the bytes of a file-backed {@link DataBuffer} live: {@code count} bytes of
 * {@code channel} starting at {@code position}. A transport may send them with
 * {@code FileChannel.transferTo} (sendfile) without copying them into the JVM. The channel stays
 * open at least as long as the buffer has a reference.
 */
public record FileRegion(FileChannel channel, long position, int count) {
}
