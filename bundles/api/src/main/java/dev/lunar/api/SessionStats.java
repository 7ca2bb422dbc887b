package dev.lunar.api;

/** I/O counters of one session (one initiator port on one target). */
public record SessionStats(int tsih, String initiator, String target, IoStats io) {
}
