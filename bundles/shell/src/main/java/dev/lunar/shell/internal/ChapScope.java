package dev.lunar.shell.internal;

/** Where chap-set and chap-clear act: exactly one of a target, an ACL or discovery. */
enum ChapScope {
    TARGET, ACL, DISCOVERY;

    /**
     * The one scope the options name.
     *
     * @throws IllegalArgumentException when none or several are given
     */
    static ChapScope of(String target, String acl, boolean discovery) {
        int given = (target != null ? 1 : 0) + (acl != null ? 1 : 0) + (discovery ? 1 : 0);
        if (given != 1) {
            throw new IllegalArgumentException("Say whose CHAP credentials these are with exactly one of --target,"
                    + " --acl or --discovery.");
        }
        return target != null ? TARGET : acl != null ? ACL : DISCOVERY;
    }
}
