package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.FreePorts;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint of the distribution (issue 5): turned on by an etc/dev.lunar.metrics.cfg
 * file, scraped over HTTP after qemu-img wrote to and read from the default LUN; and the MBeans
 * under dev.lunar, read through Karaf's JMX connector.
 */
class MetricsE2EIT extends LunarE2ETest {

    private static final Duration ENDPOINT_TIMEOUT = Duration.ofSeconds(60);
    private static final int IMAGE_BYTES = 2 << 20;
    /** A JMX user this test adds to etc/users.properties (the distribution ships none). */
    private static final String JMX_USER = "metricstest";
    private static final String JMX_PASSWORD = "metrics-e2e-secret";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int port;

    @BeforeAll
    void enableMetrics() throws IOException {
        port = FreePorts.pick(1)[0];
        Path etc = lunar.home().resolve("etc");
        Path partial = lunar.home().resolve("dev.lunar.metrics.cfg.partial");
        // Written aside and renamed: fileinstall polls etc/ and must never read half a file.
        Files.writeString(partial, "prometheusPort = " + port + "\nprometheusAddress = 127.0.0.1\n",
                StandardCharsets.UTF_8);
        Files.move(partial, etc.resolve("dev.lunar.metrics.cfg"), StandardCopyOption.ATOMIC_MOVE);
        // Karaf's PropertiesLoginModule reads users.properties at every login: no restart needed.
        Files.writeString(etc.resolve("users.properties"), "\n" + JMX_USER + " = " + JMX_PASSWORD + ",viewer,admin\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        awaitEndpoint();
    }

    @Test
    void mbeansDescribeTargetsLunsAndTransports() throws Exception {
        try (JMXConnector connector = jmx()) {
            MBeanServerConnection jmx = connector.getMBeanServerConnection();
            ObjectName lun = new ObjectName("dev.lunar:type=Lun,target=" + ObjectName.quote(DEFAULT_TARGET) + ",lun=0");
            Instant deadline = Instant.now().plus(ENDPOINT_TIMEOUT);
            while (!jmx.isRegistered(lun) && Instant.now().isBefore(deadline)) {
                Thread.sleep(500); // the MBeans follow the services every few seconds
            }
            assertTrue(jmx.isRegistered(lun), () -> lun + " not registered; dev.lunar has "
                    + queryQuietly(jmx, "dev.lunar:*"));
            assertEquals(0, jmx.getAttribute(lun, "Lun"));
            assertTrue(((Long) jmx.getAttribute(lun, "Reads")) >= 0);

            Set<ObjectName> targets = jmx.queryNames(new ObjectName("dev.lunar:type=Target,*"), null);
            assertTrue(targets.stream().anyMatch(t -> DEFAULT_TARGET.equals(attribute(jmx, t, "Iqn"))), targets::toString);
            Set<ObjectName> tcp = jmx.queryNames(new ObjectName("dev.lunar:type=Transport,kind=tcp,*"), null);
            assertEquals(1, tcp.size(), tcp::toString);
            ObjectName transport = tcp.iterator().next();
            assertEquals("tcp", jmx.getAttribute(transport, "Wire"));
            assertTrue(((String) jmx.getAttribute(transport, "Bundle")).startsWith("dev.lunar."),
                    () -> "bundle " + attribute(jmx, transport, "Bundle"));

            Exception unknown = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> jmx.invoke(new ObjectName("dev.lunar:type=Lunar"), "killSession",
                            new Object[] {0xfffe, "test"}, new String[] {"int", "java.lang.String"}));
            assertTrue(String.valueOf(unknown.getCause()).contains("no session with TSIH"), unknown::toString);
        }
    }

    /**
     * An admin's kill of a live session through JMX: the initiator (a raw socket that never logs
     * out) gets the Async Message "logout requested" with Parameter3 = 5 s (RFC 7143 §11.9.1),
     * the target closes the connection once that time is up, and the operation returns when the
     * session is gone. Meanwhile the scrape listed the session.
     */
    @Test
    void killSessionAsksForLogoutThenClosesTheConnection() throws Exception {
        try (Socket initiator = new Socket()) {
            initiator.connect(new InetSocketAddress("127.0.0.1", lunar.iscsiPort()), 10_000);
            initiator.setSoTimeout(30_000);
            DataInputStream in = new DataInputStream(initiator.getInputStream());
            int tsih = login(initiator, in);
            assertTrue(scrape().body().contains("lunar_session_reads_total{tsih=\"" + tsih + "\""),
                    "the scrape lists the live session");

            try (JMXConnector connector = jmx()) {
                Object result = connector.getMBeanServerConnection().invoke(new ObjectName("dev.lunar:type=Lunar"),
                        "killSession", new Object[] {tsih, "e2e maintenance"}, new String[] {"int", "java.lang.String"});
                assertEquals("session " + tsih + " ended", result);
            }
            byte[] async = readPdu(in);
            assertEquals(0x32, async[0] & 0x3f, "an Async Message first");
            assertEquals(1, async[36], "AsyncEvent 1: the target requests a logout");
            assertEquals(5, ((async[42] & 0xff) << 8) | (async[43] & 0xff), "Parameter3: seconds to log out");
            assertEquals(-1, in.read(), "then the target closed the connection");
        }
        assertTrue(!scrape().body().contains("tsih=\""), "no session left in the scrape");
    }

    /** One Login Request straight to full feature phase (no CHAP on the loopback default target). */
    private static int login(Socket socket, DataInputStream in) throws IOException {
        StringBuilder keys = new StringBuilder();
        for (String kv : new String[] {"InitiatorName=iqn.2026-11.dev.lunar:metrics-e2e", "SessionType=Normal",
                "TargetName=" + DEFAULT_TARGET, "HeaderDigest=None", "DataDigest=None"}) {
            keys.append(kv).append('\0');
        }
        byte[] text = keys.toString().getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer pdu = java.nio.ByteBuffer.allocate(48 + ((text.length + 3) & ~3));
        pdu.put(0, (byte) 0x43);                     // immediate Login Request
        pdu.put(1, (byte) (0x80 | (1 << 2) | 3));    // T=1, CSG=1 (operational), NSG=3 (full feature)
        pdu.put(7, (byte) text.length);
        pdu.put(8, (byte) 0x80);                     // ISID type random
        pdu.putShort(12, (short) 0x4d45);
        pdu.putInt(16, 1);                           // ITT
        pdu.putInt(24, 1);                           // CmdSN
        pdu.put(48, text);
        socket.getOutputStream().write(pdu.array());
        byte[] response = readPdu(in);
        assertEquals(0x23, response[0] & 0x3f, "Login Response");
        assertEquals(0, response[36], "login succeeded (status class 0)");
        return ((response[14] & 0xff) << 8) | (response[15] & 0xff);
    }

    /** The BHS of the next PDU; its AHS and data segment are read and dropped. */
    private static byte[] readPdu(DataInputStream in) throws IOException {
        byte[] bhs = new byte[48];
        in.readFully(bhs);
        int data = ((bhs[5] & 0xff) << 16) | ((bhs[6] & 0xff) << 8) | (bhs[7] & 0xff);
        in.readFully(new byte[(bhs[4] & 0xff) * 4 + ((data + 3) & ~3)]);
        return bhs;
    }

    private JMXConnector jmx() throws IOException {
        Properties management = new Properties();
        try (var in = Files.newInputStream(lunar.home().resolve("etc/org.apache.karaf.management.cfg"))) {
            management.load(in);
        }
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi://127.0.0.1:" + management.getProperty("rmiServerPort")
                + "/jndi/rmi://127.0.0.1:" + management.getProperty("rmiRegistryPort") + "/karaf-root");
        return JMXConnectorFactory.connect(url, Map.of(JMXConnector.CREDENTIALS, new String[] {JMX_USER, JMX_PASSWORD}));
    }

    private static Object attribute(MBeanServerConnection jmx, ObjectName name, String attribute) {
        try {
            return jmx.getAttribute(name, attribute);
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static String queryQuietly(MBeanServerConnection jmx, String pattern) {
        try {
            return jmx.queryNames(new ObjectName(pattern), null).toString();
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void lunCountersFollowQemuImgIo(@TempDir Path dir) throws Exception {
        String url = lunar.iscsiUrl("/" + DEFAULT_TARGET + "/0");
        String lunLabels = "target=\"" + DEFAULT_TARGET + "\",lun=\"0\"";
        String before = scrape().body();
        long writtenBefore = value(before, "lunar_lun_written_bytes_total", lunLabels);
        long readBefore = value(before, "lunar_lun_read_bytes_total", lunLabels);

        byte[] image = new byte[IMAGE_BYTES];
        new Random(5).nextBytes(image);
        Path source = dir.resolve("source.raw");
        Files.write(source, image);
        QemuTools.succeed("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", "-t", "none", source.toString(), url);
        QemuTools.succeed("qemu-img", "compare", "-f", "raw", "-F", "raw", source.toString(), url);

        HttpResponse<String> r = scrape();
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        String text = r.body();
        assertTrue(value(text, "lunar_lun_written_bytes_total", lunLabels) - writtenBefore >= IMAGE_BYTES, text);
        assertTrue(value(text, "lunar_lun_read_bytes_total", lunLabels) - readBefore >= IMAGE_BYTES, text);
        assertTrue(value(text, "lunar_lun_writes_total", lunLabels) > 0, text);
        assertTrue(value(text, "lunar_lun_write_latency_seconds_count", lunLabels) > 0, text);
        assertTrue(text.contains("lunar_lun_read_latency_seconds_bucket{" + lunLabels), text);
        assertTrue(text.contains("le=\"+Inf\""), text);
        assertTrue(Pattern.compile("(?m)^lunar_transport_portals\\{kind=\"tcp\",wire=\"tcp\",bundle=\"[^\"]+\"} 1$")
                .matcher(text).find(), text);
        assertTrue(text.contains("lunar_target_sessions{target=\"" + DEFAULT_TARGET + "\""), text);
    }

    @Test
    void onlyMetricsIsServed() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode());
    }

    /** The first sample of {@code family} whose labels start with {@code labels}. */
    private static long value(String text, String family, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(family + "{" + labels) + "[^}]*} (\\d+)$").matcher(text);
        assertTrue(m.find(), () -> "no sample " + family + "{" + labels + "...} in\n" + text);
        return Long.parseLong(m.group(1));
    }

    private HttpResponse<String> scrape() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void awaitEndpoint() {
        Instant deadline = Instant.now().plus(ENDPOINT_TIMEOUT);
        while (true) {
            try {
                if (scrape().statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("no Prometheus endpoint on 127.0.0.1:" + port + " after "
                        + ENDPOINT_TIMEOUT + "\n" + lunar.diagnostics());
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
