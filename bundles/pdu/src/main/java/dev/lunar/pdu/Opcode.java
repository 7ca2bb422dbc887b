package dev.lunar.pdu;

/** iSCSI opcodes (RFC 7143 §11.2.1.2) and what is known about each. */
public final class Opcode {

    public static final int NOP_OUT = 0x00;
    public static final int SCSI_COMMAND = 0x01;
    public static final int TMF_REQUEST = 0x02;
    public static final int LOGIN_REQUEST = 0x03;
    public static final int TEXT_REQUEST = 0x04;
    public static final int DATA_OUT = 0x05;
    public static final int LOGOUT_REQUEST = 0x06;
    public static final int SNACK = 0x10;

    public static final int NOP_IN = 0x20;
    public static final int SCSI_RESPONSE = 0x21;
    public static final int TMF_RESPONSE = 0x22;
    public static final int LOGIN_RESPONSE = 0x23;
    public static final int TEXT_RESPONSE = 0x24;
    public static final int DATA_IN = 0x25;
    public static final int LOGOUT_RESPONSE = 0x26;
    public static final int R2T = 0x31;
    public static final int ASYNC_MESSAGE = 0x32;
    public static final int REJECT = 0x3f;

    /** Number of distinct opcode values (six bits): the size of an opcode dispatch table. */
    public static final int COUNT = 64;

    private static final String[] NAMES = new String[COUNT];

    static {
        NAMES[NOP_OUT] = "NOP-Out";
        NAMES[SCSI_COMMAND] = "SCSI Command";
        NAMES[TMF_REQUEST] = "Task Management Function Request";
        NAMES[LOGIN_REQUEST] = "Login Request";
        NAMES[TEXT_REQUEST] = "Text Request";
        NAMES[DATA_OUT] = "SCSI Data-Out";
        NAMES[LOGOUT_REQUEST] = "Logout Request";
        NAMES[SNACK] = "SNACK Request";
        NAMES[NOP_IN] = "NOP-In";
        NAMES[SCSI_RESPONSE] = "SCSI Response";
        NAMES[TMF_RESPONSE] = "Task Management Function Response";
        NAMES[LOGIN_RESPONSE] = "Login Response";
        NAMES[TEXT_RESPONSE] = "Text Response";
        NAMES[DATA_IN] = "SCSI Data-In";
        NAMES[LOGOUT_RESPONSE] = "Logout Response";
        NAMES[R2T] = "Ready To Transfer";
        NAMES[ASYNC_MESSAGE] = "Asynchronous Message";
        NAMES[REJECT] = "Reject";
    }

    private Opcode() {
    }

    /** A readable name, or {@code "opcode 0x.."} for an unassigned value. */
    public static String name(int opcode) {
        String n = opcode >= 0 && opcode < COUNT ? NAMES[opcode] : null;
        return n != null ? n : "opcode 0x" + Integer.toHexString(opcode);
    }

    /** Whether an initiator may send this opcode to a target (RFC 7143 §11.2.1.2). */
    public static boolean isInitiatorOpcode(int opcode) {
        return opcode >= 0 && opcode < 0x20 && NAMES[opcode] != null;
    }

    /** Whether this is a target opcode (what a target sends). */
    public static boolean isTargetOpcode(int opcode) {
        return opcode >= 0x20 && opcode < COUNT && NAMES[opcode] != null;
    }
}
