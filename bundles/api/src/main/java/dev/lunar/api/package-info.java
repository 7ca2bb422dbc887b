/**
 * Lunar's management API: configuration identifiers and the read side of targets, portals,
 * sessions and LUNs, used by the shell, JMX and tests.
 */
@Export
@Version("1.1.0")
package dev.lunar.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
