package dev.lunar.iscsi.internal.login;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * CHAP digest algorithms by their CHAP_A code (RFC 7143 §12.1.3 names 5 = MD5; the IANA PPP
 * authentication algorithm registry adds 6 = SHA-1, 7 = SHA-256 and 8 = SHA3-256, which current
 * Linux and libiscsi initiators offer ahead of MD5).
 */
enum ChapAlgorithm {
    MD5(5, "MD5", 16),
    SHA1(6, "SHA-1", 20),
    SHA256(7, "SHA-256", 32),
    SHA3_256(8, "SHA3-256", 32);

    private final int code;
    private final String jcaName;
    private final int digestLength;

    ChapAlgorithm(int code, String jcaName, int digestLength) {
        this.code = code;
        this.jcaName = jcaName;
        this.digestLength = digestLength;
    }

    int code() {
        return code;
    }

    int digestLength() {
        return digestLength;
    }

    /** The algorithm for a CHAP_A code, or null when we do not support it. */
    static ChapAlgorithm byCode(long code) {
        for (ChapAlgorithm algorithm : values()) {
            if (algorithm.code == code) {
                return algorithm;
            }
        }
        return null;
    }

    /** The CHAP response H(identifier || secret || challenge) of RFC 1994 §4.1. */
    byte[] response(int identifier, byte[] secret, byte[] challenge) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            // MD5, SHA-1 and SHA-256 are mandatory in Java SE 17; SHA3-256 ships with every OpenJDK since 9
            throw new IllegalStateException(jcaName + " missing from the JDK", e);
        }
        digest.update((byte) identifier);
        digest.update(secret);
        digest.update(challenge);
        return digest.digest();
    }
}
