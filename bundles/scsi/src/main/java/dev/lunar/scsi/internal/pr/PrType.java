package dev.lunar.scsi.internal.pr;

/**
 * Persistent reservation types (SPC-4, PERSISTENT RESERVE OUT, "Persistent reservation type codes")
 * and what each means for access by nexuses that do not hold the reservation (SPC-4 "Reservations
 * overview" table of commands allowed per type).
 */
public enum PrType {
    WRITE_EXCLUSIVE(0x1, false, false, false),
    EXCLUSIVE_ACCESS(0x3, true, false, false),
    WRITE_EXCLUSIVE_REGISTRANTS_ONLY(0x5, false, true, false),
    EXCLUSIVE_ACCESS_REGISTRANTS_ONLY(0x6, true, true, false),
    WRITE_EXCLUSIVE_ALL_REGISTRANTS(0x7, false, false, true),
    EXCLUSIVE_ACCESS_ALL_REGISTRANTS(0x8, true, false, true);

    private final int code;
    private final boolean exclusiveAccess;
    private final boolean registrantsOnly;
    private final boolean allRegistrants;

    PrType(int code, boolean exclusiveAccess, boolean registrantsOnly, boolean allRegistrants) {
        this.code = code;
        this.exclusiveAccess = exclusiveAccess;
        this.registrantsOnly = registrantsOnly;
        this.allRegistrants = allRegistrants;
    }

    /** The TYPE field value. */
    public int code() {
        return code;
    }

    /** Reads are refused too, not only writes (EA, EARO, EAAR). */
    public boolean exclusiveAccess() {
        return exclusiveAccess;
    }

    /** Every registered nexus has access; one of them holds the reservation (WERO, EARO). */
    public boolean registrantsOnly() {
        return registrantsOnly;
    }

    /** Every registered nexus is a reservation holder; the READ RESERVATION key is 0 (WEAR, EAAR). */
    public boolean allRegistrants() {
        return allRegistrants;
    }

    /** Registered nexuses have access whether or not they hold the reservation. */
    public boolean registrantsHaveAccess() {
        return registrantsOnly || allRegistrants;
    }

    /** Bit of this type in the PERSISTENT RESERVATION TYPE MASK of REPORT CAPABILITIES. */
    public int typeMaskBit() {
        return switch (this) {
            case WRITE_EXCLUSIVE_ALL_REGISTRANTS -> 0x8000;
            case EXCLUSIVE_ACCESS_REGISTRANTS_ONLY -> 0x4000;
            case WRITE_EXCLUSIVE_REGISTRANTS_ONLY -> 0x2000;
            case EXCLUSIVE_ACCESS -> 0x0800;
            case WRITE_EXCLUSIVE -> 0x0200;
            case EXCLUSIVE_ACCESS_ALL_REGISTRANTS -> 0x0001;
        };
    }

    /** The type for a TYPE field value, or null for a reserved value. */
    public static PrType of(int code) {
        for (PrType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
