package dev.lunar.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.lunar.itests.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Boots the distribution this build produced (karaf-assembly's zip, by {@code file:} URL, so
 * {@code mvn verify} needs no {@code install}) and checks what an operator sees first: every
 * Lunar bundle active and {@code lunar:status} answering.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LunarDistributionIT {

    /** Bundles the boot feature "lunar" must start; a new module adds its name here. */
    private static final List<String> EXPECTED_BUNDLES = List.of("dev.lunar.api", "dev.lunar.spi", "dev.lunar.pdu",
            "dev.lunar.scsi", "dev.lunar.iscsi", "dev.lunar.transport-tcp", "dev.lunar.backend-ramdisk",
            "dev.lunar.backend-file", "dev.lunar.config", "dev.lunar.metrics", "dev.lunar.shell");

    @Inject
    private BundleContext bundleContext;

    @Inject
    private SessionFactory sessionFactory;

    @Configuration
    public Option[] config() {
        return LunarContainer.options(FreePorts.pick(4));
    }

    /**
     * Waits (bounded) until boot is over. Pax Exam installs its own feature next to our boot
     * features, and the resulting bundle refresh restarts the shell bundle; a test that ran in
     * that window would report a transient state, not a defect.
     */
    @Before
    public void awaitBootFinished() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (allActive() && commandAvailable("lunar:status")) {
                return;
            }
            Thread.sleep(500);
        }
        // fall through: the assertions below then say what is missing
    }

    private boolean allActive() {
        int active = 0;
        for (Bundle bundle : bundleContext.getBundles()) {
            if (EXPECTED_BUNDLES.contains(bundle.getSymbolicName()) && bundle.getState() == Bundle.ACTIVE) {
                active++;
            }
        }
        return active == EXPECTED_BUNDLES.size();
    }

    private boolean commandAvailable(String command) {
        try {
            execute(command);
            return true;
        } catch (Exception notYet) {
            return false;
        }
    }

    @Test
    public void everyLunarBundleIsActive() {
        Map<String, Bundle> lunar = new TreeMap<>();
        for (Bundle bundle : bundleContext.getBundles()) {
            String name = bundle.getSymbolicName();
            if (name != null && name.startsWith("dev.lunar.")) {
                lunar.put(name, bundle);
            }
        }
        List<String> missing = new ArrayList<>(EXPECTED_BUNDLES);
        missing.removeAll(lunar.keySet());
        assertTrue("Lunar bundles not installed: " + missing + "; installed: " + lunar.keySet(), missing.isEmpty());
        List<String> notActive = new ArrayList<>();
        for (Bundle bundle : lunar.values()) {
            if (bundle.getState() != Bundle.ACTIVE) {
                notActive.add(bundle.getSymbolicName() + " (state " + bundle.getState() + ")");
            }
        }
        assertEquals("Lunar bundles not active: " + notActive, List.of(), notActive);
    }

    @Test
    public void statusCommandListsTheBundles() throws Exception {
        String output = execute("lunar:status --no-format");

        assertTrue(output, output.startsWith("Lunar "));
        for (String name : EXPECTED_BUNDLES) {
            assertTrue(name + " missing from:\n" + output, output.matches("(?s).*\\b" + name.replace(".", "\\.")
                    + "\\s*\\t[^\\t]*\\tActive\\b.*"));
        }
    }

    @Test
    public void defaultConfigurationIsThere() throws Exception {
        String output = execute("config:list '(service.factoryPid=dev.lunar.*)'");

        assertTrue(output, output.contains("dev.lunar.target~default"));
        assertTrue(output, output.contains("dev.lunar.portal~default"));
        assertTrue(output, output.contains("dev.lunar.lun~default-0"));
        assertTrue(output, output.contains("iqn = iqn.2026-11.dev.lunar:default"));
    }

    /** Runs one shell command in-process, the way an ssh session would, and returns its output. */
    private String execute(String command) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Session session = sessionFactory.create(System.in, out, out);
            try {
                session.execute(command);
            } finally {
                session.close();
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
