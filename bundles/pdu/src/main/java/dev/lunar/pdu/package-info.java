/**
 * The iSCSI PDU codec (RFC 7143 §11): allocation-light static views over the Basic Header
 * Segment of a received {@link dev.lunar.spi.transport.Pdu}, builders for the PDUs a target
 * sends, validation that returns a Reject reason instead of throwing, RFC 1982 serial number
 * arithmetic and CRC32C digests over {@link dev.lunar.spi.buffer.DataBuffer} ranges.
 *
 * <p>Every view method reads absolute offsets of the header buffer and never moves its position;
 * none allocates unless its javadoc says so. Views do not check the opcode: validate a PDU with
 * {@link dev.lunar.pdu.PduValidator} first.
 */
@Export
@Version("1.0.0")
package dev.lunar.pdu;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
