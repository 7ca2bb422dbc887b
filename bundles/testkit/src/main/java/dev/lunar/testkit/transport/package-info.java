/**
 * Contract tests every {@link dev.lunar.spi.transport.Transport} passes (STYLE.md 13): subclass
 * {@link dev.lunar.testkit.transport.TransportContractTest} with a factory for the transport.
 * Plain JUnit 5, no OSGi framework; test traffic on loopback only.
 */
@Export
@Version("1.0.0")
package dev.lunar.testkit.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
