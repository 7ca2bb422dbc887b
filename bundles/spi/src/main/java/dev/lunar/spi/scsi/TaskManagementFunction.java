package dev.lunar.spi.scsi;

/** Task management functions (SAM-5 §7); codes as in the iSCSI TMF request (RFC 7143 §11.5.1). */
public enum TaskManagementFunction {
    ABORT_TASK(1),
    ABORT_TASK_SET(2),
    CLEAR_ACA(3),
    CLEAR_TASK_SET(4),
    LOGICAL_UNIT_RESET(5),
    TARGET_WARM_RESET(6),
    TARGET_COLD_RESET(7),
    TASK_REASSIGN(8),
    QUERY_TASK(9),
    QUERY_TASK_SET(10),
    I_T_NEXUS_RESET(11),
    QUERY_ASYNC_EVENT(12);

    private final int code;

    TaskManagementFunction(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The function for a wire code, or {@code null} for an unknown one. */
    public static TaskManagementFunction ofCode(int code) {
        for (TaskManagementFunction f : values()) {
            if (f.code == code) {
                return f;
            }
        }
        return null;
    }
}
