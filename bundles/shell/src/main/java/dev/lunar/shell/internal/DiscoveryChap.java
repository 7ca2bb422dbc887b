package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Discovery-session CHAP (RFC 7143 §12.1: SendTargets before any target is chosen). It lives in
 * the iSCSI engine's singleton configuration {@value ConfigPids#ISCSI}, which the
 * {@code ConfigurationService} does not manage (it handles the factory objects), so the shell
 * edits it through Config Admin; the engine applies it to new discovery logins ({@code @Modified}).
 */
final class DiscoveryChap {

    static final String USER = "discoveryChapUser";
    static final String SECRET = "discoveryChapSecret";

    /** Where Lunar's configuration service keeps secret files too (see lunar-config's SecretFiles). */
    static final String SECRETS_DIRECTORY = "lunar-secrets";

    private final ConfigurationAdmin configAdmin;
    private final Path etc;

    DiscoveryChap(ConfigurationAdmin configAdmin) {
        this(configAdmin, etcDirectory());
    }

    /** @param etc Karaf's etc (Config Admin's secrets directory), or null: the secret stays inline */
    DiscoveryChap(ConfigurationAdmin configAdmin, Path etc) {
        this.configAdmin = Availability.running(configAdmin, ConfigurationAdmin.class, "Config Admin");
        this.etc = etc;
    }

    private static Path etcDirectory() {
        String etc = System.getProperty("karaf.etc");
        return etc == null || etc.isBlank() ? null : Path.of(etc).toAbsolutePath().normalize();
    }

    /**
     * Stores the credentials; the secret goes to an owner-only file under
     * {@code etc/lunar-secrets/} and the configuration holds {@code $[secret:...]}, which Karaf's
     * Config Admin interpolation plugin resolves for the engine only (as lunar-config does for
     * targets and ACLs). The tag makes each new secret a new reference, so the engine's
     * {@code @Modified} runs with it; the previous file is deleted once the configuration no
     * longer names it.
     */
    void set(String user, String secret) throws IOException {
        Configuration configuration = engineConfiguration();
        Dictionary<String, Object> properties = properties(configuration);
        Object previous = properties.get(SECRET);
        properties.put(USER, user);
        properties.put(SECRET, store(secret));
        configuration.update(properties);
        forget(previous);
    }

    private Object store(String secret) throws IOException {
        Charset charset = Charset.defaultCharset(); // the plugin's default, in this same JVM
        if (etc == null || !secret.equals(secret.trim()) || !charset.newEncoder().canEncode(secret)) {
            return secret; // the plugin trims and decodes: such a secret could not round-trip
        }
        Path dir = etc.resolve(SECRETS_DIRECTORY);
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, posix(dir, "rwx------"));
        }
        byte[] tag = new byte[4];
        new SecureRandom().nextBytes(tag);
        String name = ConfigPids.ISCSI + "-" + SECRET + "-" + HexFormat.of().formatHex(tag);
        Path file = dir.resolve(name);
        Files.createFile(file, posix(dir, "rw-------"));
        Files.write(file, secret.getBytes(charset));
        return "$[secret:" + SECRETS_DIRECTORY + "/" + name + "]";
    }

    /** Deletes the secret file a stored value names, if it is one of ours. */
    private void forget(Object stored) throws IOException {
        if (etc == null || stored == null) {
            return;
        }
        String value = stored.toString().trim();
        String prefix = "$[secret:" + SECRETS_DIRECTORY + "/";
        if (value.startsWith(prefix) && value.endsWith("]")) {
            String name = value.substring(prefix.length(), value.length() - 1);
            if (!name.contains("/") && !name.contains("..")) {
                Files.deleteIfExists(etc.resolve(SECRETS_DIRECTORY).resolve(name));
            }
        }
    }

    private static FileAttribute<?>[] posix(Path dir, String permissions) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))}
                : new FileAttribute<?>[0];
    }

    /** @return whether discovery CHAP was configured */
    boolean clear() throws IOException {
        Configuration configuration = engineConfiguration();
        Dictionary<String, Object> properties = properties(configuration);
        Object previous = properties.remove(SECRET);
        boolean had = properties.remove(USER) != null | previous != null;
        if (had) {
            configuration.update(properties);
            forget(previous);
        }
        return had;
    }

    private Configuration engineConfiguration() throws IOException {
        // Location null: never bind the engine's configuration to the shell bundle.
        return configAdmin.getConfiguration(ConfigPids.ISCSI, null);
    }

    private static Dictionary<String, Object> properties(Configuration configuration) {
        Dictionary<String, Object> current = configuration.getProperties();
        Dictionary<String, Object> copy = new Hashtable<>();
        if (current != null) {
            for (var keys = current.keys(); keys.hasMoreElements();) {
                String key = keys.nextElement();
                copy.put(key, current.get(key));
            }
        }
        return copy;
    }
}
