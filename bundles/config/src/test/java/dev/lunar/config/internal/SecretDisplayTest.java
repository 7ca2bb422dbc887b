package dev.lunar.config.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where secrets could leak to a display: Karaf's config:list and thread names in karaf.log. */
class SecretDisplayTest {

    @TempDir
    Path etc;

    @Test
    void configListSeesRedactedSecretsAndComponentsTheRealOnes() {
        SecretRedactionPlugin plugin = new SecretRedactionPlugin();
        Hashtable<String, Object> shown = new Hashtable<>(Map.of("service.factoryPid", "dev.lunar.target",
                "service.pid", "dev.lunar.target~a", "chapUser", "u", "chapSecret", "resolved-secret"));
        plugin.modifyConfiguration(null, shown);
        assertEquals("********", shown.get("chapSecret"));
        assertEquals("u", shown.get("chapUser"));

        Hashtable<String, Object> engine = new Hashtable<>(Map.of("service.pid", "dev.lunar.iscsi",
                "discoveryChapSecret", "resolved-secret"));
        plugin.modifyConfiguration(null, engine);
        assertEquals("********", engine.get("discoveryChapSecret"));

        Hashtable<String, Object> consumer = new Hashtable<>(Map.of("service.pid", "dev.lunar.iscsi",
                "discoveryChapSecret", "resolved-secret"));
        plugin.modifyConfiguration(new FakeReference(), consumer);
        assertEquals("resolved-secret", consumer.get("discoveryChapSecret"), "a consumer gets the real value");

        Hashtable<String, Object> other = new Hashtable<>(Map.of("service.pid", "org.example", "secret", "x"));
        plugin.modifyConfiguration(null, other);
        assertEquals("x", other.get("secret"), "only Lunar's configurations");
    }

    @Test
    void aSecretOnTheShellThreadsNameIsHiddenWhileTheServiceLogs() throws Exception {
        FakeConfigurationAdmin admin = new FakeConfigurationAdmin();
        ConfigurationComponent service = new ConfigurationComponent(admin, etc);
        List<String> namesSeen = new ArrayList<>();
        Thread shell = new Thread(() -> {
            service.create(dev.lunar.api.ObjectKind.TARGET, "a", Map.of("iqn", "iqn.2026-11.dev.lunar:a"));
            admin.onUpdate = () -> namesSeen.add(Thread.currentThread().getName());
            service.update(dev.lunar.api.ObjectKind.TARGET, "a", Map.of("auth", "chap", "chapUser", "u",
                    "chapSecret", "typed-secret-1"), List.of());
            namesSeen.add(Thread.currentThread().getName());
        }, "pipe-lunar:chap-set --target a --user u --secret typed-secret-1");
        shell.start();
        shell.join();
        assertEquals(List.of("pipe-lunar:chap-set --target a --user u --secret ********",
                "pipe-lunar:chap-set --target a --user u --secret typed-secret-1"), namesSeen,
                "hidden during the call, restored after it");
    }

    private static final class FakeReference implements org.osgi.framework.ServiceReference<Object> {
        @Override
        public Object getProperty(String key) {
            return null;
        }

        @Override
        public String[] getPropertyKeys() {
            return new String[0];
        }

        @Override
        public org.osgi.framework.Bundle getBundle() {
            return null;
        }

        @Override
        public org.osgi.framework.Bundle[] getUsingBundles() {
            return null;
        }

        @Override
        public boolean isAssignableTo(org.osgi.framework.Bundle bundle, String className) {
            return false;
        }

        @Override
        public int compareTo(Object reference) {
            return 0;
        }

        @Override
        public java.util.Dictionary<String, Object> getProperties() {
            return new Hashtable<>();
        }

        @Override
        public <A> A adapt(Class<A> type) {
            return null;
        }
    }
}
