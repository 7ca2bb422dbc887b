package dev.lunar.iscsi.internal.login;

/**
 * What the target answers to one Login Request (RFC 7143 §11.13). The session layer fills in the
 * remaining BHS fields (version max/active 0x00, ISID, TSIH, ITT, StatSN, ExpCmdSN, MaxCmdSN).
 *
 * @param transit T bit
 * @param cont C bit: more response text follows; the initiator answers with an empty request
 * @param csg current stage
 * @param nsg next stage (meaningful only when {@code transit})
 * @param statusClass Status-Class (RFC 7143 §11.13.5)
 * @param statusDetail Status-Detail
 * @param text data segment of this response (encoded key=value pairs); never null
 */
public record LoginResponse(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int statusClass,
        int statusDetail,
        byte[] text) {

    /** Status classes (RFC 7143 §11.13.5). */
    public static final int CLASS_SUCCESS = 0x00;
    public static final int CLASS_REDIRECTION = 0x01;
    public static final int CLASS_INITIATOR_ERROR = 0x02;
    public static final int CLASS_TARGET_ERROR = 0x03;

    /** Combined class/detail codes, {@code class << 8 | detail}, as RFC 7143 §11.13.5 tabulates them. */
    public static final int SUCCESS = 0x0000;
    public static final int TARGET_MOVED_TEMPORARILY = 0x0101;
    public static final int TARGET_MOVED_PERMANENTLY = 0x0102;
    public static final int INITIATOR_ERROR = 0x0200;
    public static final int AUTHENTICATION_FAILURE = 0x0201;
    public static final int AUTHORIZATION_FAILURE = 0x0202;
    public static final int NOT_FOUND = 0x0203;
    public static final int TARGET_REMOVED = 0x0204;
    public static final int UNSUPPORTED_VERSION = 0x0205;
    public static final int TOO_MANY_CONNECTIONS = 0x0206;
    public static final int MISSING_PARAMETER = 0x0207;
    public static final int CANT_INCLUDE_IN_SESSION = 0x0208;
    public static final int SESSION_TYPE_NOT_SUPPORTED = 0x0209;
    public static final int SESSION_DOES_NOT_EXIST = 0x020a;
    public static final int INVALID_DURING_LOGIN = 0x020b;
    public static final int TARGET_ERROR = 0x0300;
    public static final int SERVICE_UNAVAILABLE = 0x0301;
    public static final int OUT_OF_RESOURCES = 0x0302;

    /** Stages (RFC 7143 §11.12.3). */
    public static final int STAGE_SECURITY = 0;
    public static final int STAGE_OPERATIONAL = 1;
    public static final int STAGE_FULL_FEATURE = 3;

    public LoginResponse {
        if (text == null) {
            text = new byte[0];
        }
    }

    /** Class and detail as one code, {@code class << 8 | detail}. */
    public int status() {
        return statusClass << 8 | statusDetail;
    }

    /** A final (no transit) response with status {@code code} ({@code class << 8 | detail}) and {@code text}. */
    public static LoginResponse status(int csg, int code, byte[] text) {
        return new LoginResponse(false, false, csg, 0, code >>> 8 & 0xff, code & 0xff, text);
    }
}
