package dev.lunar.api;

/**
 * A configured logical unit.
 *
 * @param name configuration name
 * @param target target IQN it is mapped into
 * @param lun LUN number
 * @param backend backend kind
 * @param sizeBytes capacity in bytes (0 while not open)
 * @param blockSize logical block size (0 while not open)
 * @param state {@code READY}, {@code WAITING} (no backend of that kind yet) or {@code FAILED}
 * @param detail why it is not ready, or empty
 */
public record LunInfo(String name, String target, int lun, String backend, long sizeBytes, int blockSize,
        String state, String detail) {
}
