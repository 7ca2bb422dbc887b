package dev.lunar.spi.scsi;

/** Task attributes (SAM-5 §8.6); the numeric codes are iSCSI's ATTR field (RFC 7143 §11.3.1). */
public enum TaskAttribute {
    UNTAGGED(0),
    SIMPLE(1),
    ORDERED(2),
    HEAD_OF_QUEUE(3),
    ACA(4);

    private final int code;

    TaskAttribute(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The attribute for an iSCSI ATTR value; values 5 to 7 are reserved and read as SIMPLE. */
    public static TaskAttribute ofCode(int code) {
        return switch (code) {
            case 0 -> UNTAGGED;
            case 2 -> ORDERED;
            case 3 -> HEAD_OF_QUEUE;
            case 4 -> ACA;
            default -> SIMPLE;
        };
    }
}
