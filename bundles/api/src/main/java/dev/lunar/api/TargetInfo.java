package dev.lunar.api;

/**
 * A configured iSCSI target.
 *
 * @param name configuration name
 * @param iqn target name
 * @param alias target alias, or empty
 * @param auth {@code none} or {@code chap}
 * @param sessions number of logged-in sessions
 */
public record TargetInfo(String name, String iqn, String alias, String auth, int sessions) {
}
