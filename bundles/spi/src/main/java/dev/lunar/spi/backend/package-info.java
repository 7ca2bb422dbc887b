/** Lunar SPI: see the types' javadoc for who implements what. */
@Export
@Version("1.0.0")
package dev.lunar.spi.backend;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
