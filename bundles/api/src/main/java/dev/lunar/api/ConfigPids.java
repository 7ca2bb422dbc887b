package dev.lunar.api;

/**
 * Config Admin factory PIDs of Lunar's configuration (DESIGN.md §3.6) and the property keys each
 * one reads. Karaf persists a factory configuration {@code <pid>~<name>} as
 * {@code etc/<pid>-<name>.cfg}: Karaf 4.4's file installer reads only the {@code -} form as a
 * factory configuration (a file named {@code <pid>~<name>.cfg} would become a plain one).
 */
public final class ConfigPids {

    /**
     * An iSCSI target. Keys: {@value #TARGET_IQN} (required), {@value #TARGET_ALIAS},
     * {@value #TARGET_AUTH} ({@code none} or {@code chap}).
     */
    public static final String TARGET = "dev.lunar.target";

    /**
     * A network portal. Keys: {@value #PORTAL_ADDRESS}, {@value #PORTAL_PORT},
     * {@value #PORTAL_TRANSPORT} (a transport kind, default {@code tcp}).
     */
    public static final String PORTAL = "dev.lunar.portal";

    /**
     * A logical unit mapped into a target. Keys: {@value #LUN_TARGET} (target IQN),
     * {@value #LUN_ID}, {@value #LUN_BACKEND} (a backend kind); every other key is a backend option
     * ({@code size}, {@code blockSize}, {@code path}, {@code writeCache}, {@code readOnly}, ...).
     */
    public static final String LUN = "dev.lunar.lun";

    public static final String TARGET_IQN = "iqn";
    public static final String TARGET_ALIAS = "alias";
    public static final String TARGET_AUTH = "auth";

    public static final String PORTAL_ADDRESS = "address";
    public static final String PORTAL_PORT = "port";
    public static final String PORTAL_TRANSPORT = "transport";

    public static final String LUN_TARGET = "target";
    public static final String LUN_ID = "lun";
    public static final String LUN_BACKEND = "backend";

    private ConfigPids() {
    }
}
