package dev.lunar.api;

import java.util.Locale;

/** The kinds of configuration object an operator manages; each is a Config Admin factory PID. */
public enum ObjectKind {
    TARGET(ConfigPids.TARGET),
    PORTAL(ConfigPids.PORTAL),
    LUN(ConfigPids.LUN),
    ACL(ConfigPids.ACL);

    private final String pid;

    ObjectKind(String pid) {
        this.pid = pid;
    }

    /** The factory PID objects of this kind are stored under. */
    public String pid() {
        return pid;
    }

    /** The name used in documents and the shell: {@code target}, {@code portal}, {@code lun}, {@code acl}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The kind with this label or factory PID.
     *
     * @throws IllegalArgumentException with the accepted names when there is none
     */
    public static ObjectKind of(String labelOrPid) {
        for (ObjectKind k : values()) {
            if (k.label().equalsIgnoreCase(labelOrPid) || k.pid.equals(labelOrPid)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown kind '" + labelOrPid + "': use target, portal, lun or acl");
    }
}
