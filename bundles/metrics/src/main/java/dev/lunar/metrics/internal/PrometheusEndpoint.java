package dev.lunar.metrics.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} over HTTP/1.1 with the JDK's {@code com.sun.net.httpserver} (module
 * jdk.httpserver; Karaf boot-delegates {@code com.sun.*}, so the bundle does not import it). One
 * worker thread answers scrapes one at a time: a scrape is a few kilobytes built from snapshots,
 * and a single thread bounds what a misbehaving client can tie up.
 */
final class PrometheusEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(PrometheusEndpoint.class);

    private final HttpServer server;
    private final ExecutorService worker;

    /**
     * Binds and starts serving. Management thread; binding may block briefly.
     *
     * @param body the scrape, built on the worker thread for each request
     */
    PrometheusEndpoint(InetSocketAddress address, Supplier<String> body) throws IOException {
        server = HttpServer.create(address, 8);
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lunar-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(worker);
        server.createContext("/", exchange -> {
            try (exchange) {
                answer(exchange, body);
            } catch (IOException | RuntimeException e) {
                LOG.debug("Metrics request from {} failed", exchange.getRemoteAddress(), e);
            }
        });
        server.start();
    }

    private static void answer(HttpExchange exchange, Supplier<String> body) throws IOException {
        String method = exchange.getRequestMethod();
        if (!"/metrics".equals(exchange.getRequestURI().getPath())) {
            exchange.sendResponseHeaders(404, -1);
            return;
        }
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            exchange.sendResponseHeaders(405, -1);
            return;
        }
        byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", PrometheusText.CONTENT_TYPE);
        if ("HEAD".equals(method)) {
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(bytes);
        }
    }

    /** Where it listens (the real port when 0 was asked). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops listening; a scrape in progress gets up to a second to finish. Idempotent. */
    void close() {
        server.stop(1);
        worker.shutdownNow();
    }
}
