package dev.lunar.itests.felix;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * Fast wiring check on a bare Felix 7.0.5 (no Karaf): every Lunar bundle built by this reactor
 * resolves and starts against nothing but its declared runtime (SCR, Config Admin, slf4j, Netty).
 * Catches a wrong Import-Package or a missing export in seconds, before the distribution test.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundleWiringIT {

    /**
     * Modules installed from their target/ jar. The shell bundle needs Karaf's shell and is
     * checked in the Karaf container only.
     */
    static final List<String> MODULES = List.of("api", "spi", "pdu", "scsi", "iscsi", "transport-tcp",
            "backend-ramdisk", "backend-file");

    /** Runtime the bundles may rely on, as Karaf provides it (see features.xml; slf4j via pax-logging). */
    static final List<String> RUNTIME = List.of("org.osgi.util.function", "org.osgi.util.promise",
            "org.osgi.service.component", "org.apache.felix.scr", "org.apache.felix.configadmin", "pax-logging-api",
            "netty-common", "netty-buffer", "netty-resolver", "netty-transport",
            "netty-transport-native-unix-common", "netty-transport-classes-epoll");

    @Inject
    private BundleContext bundleContext;

    @Configuration
    public Option[] config() {
        List<Option> options = new ArrayList<>();
        File runtime = new File(System.getProperty("lunar.runtime.bundles.dir"));
        for (String name : RUNTIME) {
            options.add(bundle(new File(runtime, name + ".jar").toURI().toString()));
        }
        File modules = new File(System.getProperty("lunar.bundles.dir"));
        String version = System.getProperty("lunar.version");
        for (String module : MODULES) {
            File jar = new File(modules, module + "/target/lunar-" + module + "-" + version + ".jar");
            options.add(bundle(jar.toURI().toString()));
        }
        options.add(junitBundles());
        options.add(frameworkStartLevel(10));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        return options(options.toArray(new Option[0]));
    }

    @Test
    public void everyLunarBundleResolvesAndStarts() {
        Map<String, Bundle> lunar = new TreeMap<>();
        for (Bundle bundle : bundleContext.getBundles()) {
            String name = bundle.getSymbolicName();
            if (name != null && name.startsWith("dev.lunar.")) {
                lunar.put(name, bundle);
            }
        }
        assertEquals("Lunar bundles installed: " + lunar.keySet(), MODULES.size(), lunar.size());
        List<String> notActive = new ArrayList<>();
        lunar.forEach((name, bundle) -> {
            if (bundle.getState() != Bundle.ACTIVE) {
                notActive.add(name + ": " + whyNotStarted(bundle));
            }
        });
        assertTrue("Lunar bundles not active:\n" + String.join("\n", notActive), notActive.isEmpty());
    }

    /** The framework's own explanation (the missing requirement) for a bundle that is not active. */
    private static String whyNotStarted(Bundle bundle) {
        try {
            bundle.start();
            return "state " + bundle.getState() + " (started on a second attempt)";
        } catch (BundleException e) {
            return e.getMessage();
        }
    }
}
