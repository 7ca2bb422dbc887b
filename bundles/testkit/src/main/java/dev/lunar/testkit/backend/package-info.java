/**
 * The contract tests every backend's {@code BlockDevice} passes: subclass
 * {@link dev.lunar.testkit.backend.BlockDeviceContractTest} in the backend's unit tests.
 */
@Export
@Version("1.0.0")
package dev.lunar.testkit.backend;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
