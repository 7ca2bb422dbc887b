package dev.lunar.iscsi.internal.login;

/** SessionType key values (RFC 7143 §13.21). */
public enum SessionType {
    NORMAL("Normal"),
    DISCOVERY("Discovery");

    private final String keyValue;

    SessionType(String keyValue) {
        this.keyValue = keyValue;
    }

    /** The value as it appears on the wire. */
    public String keyValue() {
        return keyValue;
    }

    /** The session type for a SessionType value, or null when the value is not one of ours. */
    public static SessionType fromKeyValue(String value) {
        for (SessionType type : values()) {
            if (type.keyValue.equals(value)) {
                return type;
            }
        }
        return null;
    }
}
