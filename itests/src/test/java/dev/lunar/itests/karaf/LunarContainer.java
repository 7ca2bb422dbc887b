package dev.lunar.itests.karaf;

import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;

/**
 * The Pax Exam options every test in our own distribution starts from: the built assembly, free
 * ports for ssh, JMX (registry and server) and the default portal, so a test runs beside a
 * {@code ./lunar start} and beside other builds, and the build's local Maven repository for the
 * probe. Runs in the JVM that starts the container, not in the probe.
 */
final class LunarContainer {

    private LunarContainer() {
    }

    /**
     * @param ports at least four free ports: ssh, JMX registry, JMX server, default portal
     * @param extra options of the test itself
     */
    static Option[] options(int[] ports, Option... extra) {
        String distribution = new File(System.getProperty("lunar.distribution")).toURI().toString();
        List<Option> options = new ArrayList<>(List.of(
            karafDistributionConfiguration()
                    .frameworkUrl(distribution)
                    .name("Lunar")
                    .karafVersion("4.4.10")
                    .unpackDirectory(new File("target/exam"))
                    .useDeployFolder(false),
            configureConsole().ignoreLocalConsole(),
            logLevel(LogLevel.INFO),
            editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(ports[0])),
            editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort",
                    Integer.toString(ports[1])),
            editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort",
                    Integer.toString(ports[2])),
            editConfigurationFilePut("etc/dev.lunar.portal-default.cfg", "port", Integer.toString(ports[3])),
            // The probe reaches Maven artifacts through the same local repository as the build.
            editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository",
                    System.getProperty("org.ops4j.pax.url.mvn.localRepository",
                            System.getProperty("user.home") + "/.m2/repository")),
            systemProperty("lunar.itest").value("true")));
        options.addAll(List.of(extra));
        return options.toArray(new Option[0]);
    }
}
