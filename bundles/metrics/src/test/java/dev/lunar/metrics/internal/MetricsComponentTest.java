package dev.lunar.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.IoStatsRecorder;
import java.lang.annotation.Annotation;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsComponentTest {

    private static MetricsComponent.Config config(int port, String address, boolean allowRemote) {
        return new MetricsComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return MetricsComponent.Config.class;
            }

            @Override
            public int prometheusPort() {
                return port;
            }

            @Override
            public String prometheusAddress() {
                return address;
            }

            @Override
            public boolean allowRemote() {
                return allowRemote;
            }

            @Override
            public int jmxRefreshSeconds() {
                return 3600;
            }
        };
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void offByDefaultAndServesMetricsOnLoopbackWhenConfigured() throws Exception {
        FakeServices services = new FakeServices();
        services.lunIo.record(IoStatsRecorder.Kind.WRITE, 65536, 120_000, false);
        MetricsComponent c = new MetricsComponent(config(0, "127.0.0.1", false));
        try {
            assertEquals(0, c.endpointPort());
            c.bindTargetService(services);
            c.bindLunService(services);
            c.apply(config(freePort(), "127.0.0.1", false));
            int port = c.endpointPort();
            assertTrue(port > 0);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals(PrometheusText.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
            assertTrue(r.body().contains("lunar_lun_written_bytes_total{target=\"" + FakeServices.IQN
                    + "\",lun=\"0\",name=\"web-0\"} 65536"), r.body());
            assertTrue(r.body().contains("lunar_session_reads_total{tsih=\"3\""), r.body());
            HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, other.statusCode());
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            c.apply(config(0, "127.0.0.1", false));
            assertEquals(0, c.endpointPort(), "port 0 turns it off again");
        } finally {
            c.deactivate();
        }
    }

    @Test
    void aNonLoopbackAddressNeedsAllowRemote() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetricsComponent.endpointAddress(config(9100, "192.0.2.7", false)));
        assertTrue(e.getMessage().contains("allowRemote=true"), e.getMessage());
        assertEquals(9100, MetricsComponent.endpointAddress(config(9100, "192.0.2.7", true)).getPort());
        assertEquals(9100, MetricsComponent.endpointAddress(config(9100, "::1", false)).getPort());
    }

    @Test
    void scrapingWithoutServicesGivesOnlyDeclarations() {
        MetricsComponent c = new MetricsComponent(config(0, "127.0.0.1", false));
        try {
            String text = c.scrape();
            assertTrue(text.lines().allMatch(l -> l.startsWith("#")), text);
        } finally {
            c.deactivate();
        }
    }
}
