package dev.lunar.api;

/**
 * A configured portal and whether it is serving.
 *
 * @param name the configuration name
 * @param address configured address
 * @param port configured port (the bound one once listening)
 * @param transport transport kind
 * @param state {@code LISTENING}, {@code WAITING} (no transport of that kind yet) or {@code FAILED}
 * @param detail why it is not listening, or empty
 */
public record PortalInfo(String name, String address, int port, String transport, String state, String detail) {
}
