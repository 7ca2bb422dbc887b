package dev.lunar.config.internal;

import dev.lunar.api.ConfigPids;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CHAP secrets kept out of {@code .cfg} files: each secret value lives in its own owner-only file
 * {@code etc/lunar-secrets/<pid>-<name>-<key>-<tag>}, and the configuration holds the reference
 * {@code $[secret:lunar-secrets/...]} instead.
 *
 * <p>Why this works: Karaf 4.4 starts the Felix Config Admin interpolation plugin with
 * {@code org.apache.felix.configadmin.plugin.interpolation.secretsdir=${karaf.etc}}. The plugin
 * replaces a {@code $[secret:NAME]} value by the content of {@code etc/NAME} (trimmed) only in the
 * properties handed to the consuming component ({@code Configuration.getProcessedProperties});
 * {@code getProperties()}, and with it the {@code .cfg} fileinstall writes back,
 * {@code config:list} and Config Admin's store under {@code data/}, keep the reference. Karaf has
 * no encryption of {@code .cfg} values (its Jasypt support covers Blueprint placeholders only), so
 * a file only its owner may read is the protection at rest Karaf supports.
 *
 * <p>The random tag makes every changed secret a new reference: Config Admin then sees a changed
 * configuration and the component its {@code @Modified} with the new value, which an unchanged
 * reference to a rewritten file would not produce.
 *
 * <p>Not thread safe: the caller serialises changes. Every method blocks on file I/O.
 */
final class SecretFiles {

    /** Subdirectory of {@code etc} that holds the files this class writes. */
    static final String DIRECTORY = "lunar-secrets";

    /** A value that is exactly one secret reference. */
    private static final Pattern REFERENCE = Pattern.compile("\\$\\[secret:([^\\];]+)\\]");

    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private final Path etc;
    private final Charset charset;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param etc Karaf's {@code etc}, the interpolation plugin's secrets directory; {@code null}
     *     outside Karaf (secrets then stay in the configuration)
     * @param charset the charset the plugin decodes files with (its
     *     {@code ...interpolation.file.encoding} property, else the JVM default)
     */
    SecretFiles(Path etc, Charset charset) {
        this.etc = etc;
        this.charset = charset;
    }

    /** Whether secrets can be kept in files at all (inside Karaf). */
    boolean enabled() {
        return etc != null;
    }

    /** The file a reference value names, when it is one and lies inside {@code etc}; else {@code null}. */
    Path referencedFile(String value) {
        if (etc == null || value == null) {
            return null;
        }
        Matcher m = REFERENCE.matcher(value.trim());
        if (!m.matches() || m.group(1).contains("..")) {
            return null; // the plugin refuses ".." as well
        }
        Path file = etc.resolve(m.group(1)).normalize();
        return file.startsWith(etc) ? file : null;
    }

    /** Whether {@code file} is one this class wrote (and so may delete). */
    boolean isOurs(Path file) {
        return file != null && etc != null && file.getParent() != null
                && file.getParent().equals(etc.resolve(DIRECTORY));
    }

    /**
     * The properties with every secret reference replaced by the file's content as the plugin
     * reads it; a reference whose file is missing or unreadable stays as it is.
     */
    Map<String, String> resolve(Map<String, String> stored) {
        Map<String, String> resolved = new TreeMap<>(stored);
        resolved.replaceAll((k, v) -> {
            Path file = ConfigPids.isSecret(k) ? referencedFile(v) : null;
            if (file == null) {
                return v;
            }
            try {
                return new String(Files.readAllBytes(file), charset).trim();
            } catch (IOException e) {
                return v;
            }
        });
        return resolved;
    }

    /**
     * Whether a secret value can round-trip through a file: the plugin trims what it reads and
     * decodes it with {@link #charset}.
     */
    boolean fits(String secret) {
        return !secret.isEmpty() && secret.equals(secret.trim()) && charset.newEncoder().canEncode(secret);
    }

    /**
     * Writes a secret to a new owner-only file.
     *
     * @return the reference to put into the configuration instead of the value
     */
    String write(String pid, String name, String key, String secret) throws IOException {
        Path dir = etc.resolve(DIRECTORY);
        createOwnerOnlyDirectory(dir);
        byte[] tag = new byte[4];
        random.nextBytes(tag);
        // Names may contain ".." (allowed in object names), which the plugin refuses in a reference.
        String fileName = pid + "-" + name.replace(".", "%2E") + "-" + key + "-" + HexFormat.of().formatHex(tag);
        Path file = dir.resolve(fileName);
        Path tmp = dir.resolve("." + fileName + ".tmp");
        Files.deleteIfExists(tmp);
        createOwnerOnlyFile(tmp);
        Files.write(tmp, secret.getBytes(charset));
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file);
        }
        return "$[secret:" + DIRECTORY + "/" + fileName + "]";
    }

    /** Deletes the file a reference names, if this class wrote it. */
    void deleteReferenced(String value) throws IOException {
        Path file = referencedFile(value);
        if (isOurs(file)) {
            Files.deleteIfExists(file);
        }
    }

    private static void createOwnerOnlyDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectory(dir, posix(dir.getParent(), PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY)));
        } catch (FileAlreadyExistsException e) {
            // made meanwhile: fine
        }
    }

    private static void createOwnerOnlyFile(Path file) throws IOException {
        // Created with its permissions, so the secret is never readable by others, not even briefly.
        Files.createFile(file, posix(file.getParent(), PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)));
    }

    private static FileAttribute<?>[] posix(Path dir, FileAttribute<?> attribute) {
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        return posix ? new FileAttribute<?>[] {attribute} : new FileAttribute<?>[0];
    }
}
