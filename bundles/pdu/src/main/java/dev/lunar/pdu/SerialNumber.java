package dev.lunar.pdu;

/**
 * 32-bit serial number arithmetic (RFC 1982, as RFC 7143 §4.2.2.1 requires for CmdSN, StatSN,
 * DataSN and R2TSN): numbers wrap, and {@code a < b} means b is less than 2^31 ahead of a.
 */
public final class SerialNumber {

    private SerialNumber() {
    }

    /** a &lt; b in serial arithmetic; false for the undefined distance of exactly 2^31. */
    public static boolean lessThan(int a, int b) {
        int d = a - b;
        return d < 0 && d != Integer.MIN_VALUE;
    }

    public static boolean lessOrEqual(int a, int b) {
        return a == b || lessThan(a, b);
    }

    public static boolean greaterThan(int a, int b) {
        return lessThan(b, a);
    }

    /** Whether {@code lo <= x <= hi} in serial arithmetic. */
    public static boolean inWindow(int x, int lo, int hi) {
        return lessOrEqual(lo, x) && lessOrEqual(x, hi);
    }
}
