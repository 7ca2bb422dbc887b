package dev.lunar.pdu.text;

import java.util.Objects;

/**
 * One {@code key=value} pair of an iSCSI text data segment (RFC 7143 §6.1). The value is the raw
 * text; {@link TextValues} interprets numbers, binary values and lists.
 */
public record KeyValue(String key, String value) {

    public KeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return key + "=" + value;
    }
}
