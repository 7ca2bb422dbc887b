package dev.lunar.api;

/** I/O counters of one configured LUN (all initiators). */
public record LunStats(String name, String target, int lun, IoStats io) {
}
