package dev.lunar.api;

import java.util.List;

/**
 * A transport kind available in this instance.
 *
 * @param kind the kind portals name (e.g. {@code tcp})
 * @param wire {@code tcp} or {@code rdma}: live moves need equal wires
 * @param bundle symbolic name and version of the bundle providing it
 * @param portals names of the portals listening through it
 * @param connections live connections it carries
 */
public record TransportInfo(String kind, String wire, String bundle, List<String> portals, int connections) {
}
