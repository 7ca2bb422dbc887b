package dev.lunar.itests.e2e.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * iscsi-test-cu outcomes we accept, with the reason each is acceptable, read from a list on the
 * test class path: {@code conformance/expected-skips.txt} (skips) or
 * {@code conformance/known-deviations.txt} (failures where Lunar knowingly differs from what the
 * test assumes). One line per test: {@code <backend|*> <Suite.Test> <reason>}; {@code #} starts a
 * comment. An outcome that is not listed fails its suite, so a regression cannot hide behind
 * libiscsi's habit of reporting skips as passes.
 */
final class ExpectedSkips {

    static final String RESOURCE = "/conformance/expected-skips.txt";
    static final String DEVIATIONS = "/conformance/known-deviations.txt";

    private final Map<String, String> reasons;

    private ExpectedSkips(Map<String, String> reasons) {
        this.reasons = reasons;
    }

    static ExpectedSkips load() {
        return load(RESOURCE);
    }

    static ExpectedSkips load(String resource) {
        try (InputStream in = ExpectedSkips.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test class path");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + resource, e);
        }
    }

    static ExpectedSkips parse(String text) {
        return parse(text, RESOURCE);
    }

    static ExpectedSkips parse(String text, String resource) {
        Map<String, String> reasons = new LinkedHashMap<>();
        int number = 0;
        for (String raw : text.split("\n")) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+", 3);
            if (fields.length < 3 || !fields[1].contains(".")) {
                throw new IllegalStateException(resource + " line " + number
                        + ": expected '<backend|*> <Suite.Test> <reason>', found: " + line);
            }
            reasons.put(key(fields[0], fields[1]), fields[2]);
        }
        return new ExpectedSkips(reasons);
    }

    /** Why {@code suiteDotTest} may end as listed on {@code backend}, if it may. */
    Optional<String> reason(String backend, String suiteDotTest) {
        String specific = reasons.get(key(backend, suiteDotTest));
        return Optional.ofNullable(specific != null ? specific : reasons.get(key("*", suiteDotTest)));
    }

    private static String key(String backend, String suiteDotTest) {
        return backend + " " + suiteDotTest;
    }
}
