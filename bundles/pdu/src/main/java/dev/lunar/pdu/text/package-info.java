/**
 * iSCSI text key=value codec (RFC 7143 §6.1, §13): parse and encode data segments of login and text
 * PDUs, value syntax (numbers, binary values, lists) and accumulation of text spanning PDUs.
 */
@Export
@Version("1.0.0")
package dev.lunar.pdu.text;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
