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

    /**
     * An access control entry: which initiator may log in to a target and which of its LUNs it
     * sees. Keys: {@value #ACL_TARGET} (target IQN, required), {@value #ACL_INITIATOR} (initiator
     * IQN, required), {@value #ACL_LUNS} (comma-separated LUN numbers; absent or empty: all),
     * {@value #ACL_READ_ONLY}, and per-initiator CHAP {@value #CHAP_USER}, {@value #CHAP_SECRET},
     * {@value #MUTUAL_USER}, {@value #MUTUAL_SECRET}. A target with at least one ACL admits only
     * the initiators listed; a target with none admits every initiator that authenticates.
     */
    public static final String ACL = "dev.lunar.acl";

    /** The iSCSI engine's singleton configuration (queue depth, NOP timers, discovery CHAP). */
    public static final String ISCSI = "dev.lunar.iscsi";

    /** The Prometheus text endpoint and JMX exposure (singleton). */
    public static final String METRICS = "dev.lunar.metrics";

    public static final String TARGET_IQN = "iqn";
    public static final String TARGET_ALIAS = "alias";
    public static final String TARGET_AUTH = "auth";
    public static final String TARGET_INSECURE = "insecure";
    public static final String TARGET_REDIRECT = "redirect";

    /** CHAP user the initiator presents (targets and ACLs). */
    public static final String CHAP_USER = "chapUser";
    /** CHAP secret of {@link #CHAP_USER}; never printed or logged. */
    public static final String CHAP_SECRET = "chapSecret";
    /** User the target presents in mutual CHAP (targets and ACLs). */
    public static final String MUTUAL_USER = "mutualUser";
    /** Secret of {@link #MUTUAL_USER}; never printed or logged. */
    public static final String MUTUAL_SECRET = "mutualSecret";

    public static final String PORTAL_TPGT = "tpgt";

    public static final String ACL_TARGET = "target";
    public static final String ACL_INITIATOR = "initiator";
    public static final String ACL_LUNS = "luns";
    public static final String ACL_READ_ONLY = "readOnly";

    public static final String PORTAL_ADDRESS = "address";
    public static final String PORTAL_PORT = "port";
    public static final String PORTAL_TRANSPORT = "transport";

    public static final String LUN_TARGET = "target";
    public static final String LUN_ID = "lun";
    public static final String LUN_BACKEND = "backend";

    /** Whether a property key holds a secret: never shown in lists, logs or plans. */
    public static boolean isSecret(String key) {
        return key.toLowerCase(java.util.Locale.ROOT).contains("secret");
    }

    private ConfigPids() {
    }
}
