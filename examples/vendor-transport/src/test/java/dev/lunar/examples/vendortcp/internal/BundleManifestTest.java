package dev.lunar.examples.vendortcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundle is what an operator drops into deploy/, so its manifest is part of the product: it
 * resolves against what the distribution already has, offers nothing, and registers exactly one
 * transport. Reads what bnd wrote into target/classes before the tests run.
 */
class BundleManifestTest {

    private static final Path CLASSES = Path.of("target/classes");
    private static Attributes main;

    @BeforeAll
    static void readManifest() throws IOException {
        try (InputStream in = Files.newInputStream(CLASSES.resolve("META-INF/MANIFEST.MF"))) {
            main = new Manifest(in).getMainAttributes();
        }
    }

    @Test
    void registersOnlyItsOwnComponent() throws IOException {
        // The embedded TcpTransport carries @Component: a descriptor for it would register a
        // second "tcp" transport beside transport-tcp's.
        assertEquals("OSGI-INF/dev.lunar.examples.vendortcp.internal.VendorTcpTransport.xml",
                main.getValue("Service-Component"));
        String descriptor = Files.readString(
                CLASSES.resolve("OSGI-INF/dev.lunar.examples.vendortcp.internal.VendorTcpTransport.xml"));
        assertTrue(descriptor.contains("name=\"lunar.transport.kind\"") && descriptor.contains("value=\"vendor-tcp\""),
                descriptor);
        assertTrue(descriptor.contains("name=\"lunar.transport.wire\"") && descriptor.contains("value=\"tcp\""),
                descriptor);
        try (Stream<Path> metatype = Files.list(CLASSES.resolve("OSGI-INF/metatype"))) {
            assertEquals(java.util.List.of("dev.lunar.examples.vendortcp.internal.VendorTcpTransport$Config.xml"),
                    metatype.map(p -> p.getFileName().toString()).sorted().toList(),
                    "only this bundle's own configuration is described, not transport-tcp's PID");
        }
    }

    @Test
    void exportsNothingAndEmbedsTheEngine() {
        assertNull(main.getValue("Export-Package"), "a transport bundle offers a service, no packages");
        String privatePackages = main.getValue("Private-Package");
        assertTrue(privatePackages.contains("dev.lunar.transport.tcp.internal"), privatePackages);
        assertTrue(privatePackages.contains("dev.lunar.examples.vendortcp.internal"), privatePackages);
    }

    @Test
    void importsOnlyWhatTheDistributionProvides() {
        String imports = main.getValue("Import-Package");
        assertFalse(imports.contains("dev.lunar.transport"), "the engine is embedded, never imported: " + imports);
        for (String expected : new String[] {"dev.lunar.spi.transport;version=\"[1.", "dev.lunar.spi.buffer;version=\"[1.",
                "io.netty.channel;version=\"[4.2,5)\"", "io.netty.channel.epoll;version=\"[4.2,5)\"",
                "org.slf4j;version=\"[2."}) {
            assertTrue(imports.contains(expected), "Import-Package lacks " + expected + ": " + imports);
        }
    }
}
