package dev.lunar.config.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ObjectKind;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Lunar's objects as Config Admin factory configurations, and as the {@code etc/<pid>-<name>.cfg}
 * files Karaf keeps them in.
 *
 * <p>Two shapes exist and both are found: configurations Karaf's file installer made from a file
 * (named {@code <pid>~<name>} by Config Admin 1.6, or, from older installers, a generated PID whose
 * name only the {@value #FILENAME} property carries), and the ones this class creates with
 * {@link ConfigurationAdmin#getFactoryConfiguration(String, String, String)}.
 *
 * <p>Files: Felix fileinstall 3.7 writes a configuration back to its file on every update, but only
 * when that file already exists, and deletes a file on configuration delete only for
 * configurations it read itself. So a new object's file is written here (atomically, so the
 * installer never reads half a file) and a deleted object's file is removed here; updates leave
 * the file to the installer, which keeps the operator's comments in it.
 *
 * <p>Not thread safe: the caller serialises changes.
 */
final class ConfigAdminObjects {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ConfigAdminObjects.class);

    /** Felix fileinstall's property naming the file a configuration lives in (a {@code file:} URL). */
    static final String FILENAME = "felix.fileinstall.filename";

    /**
     * A configuration object (secrets resolved), the Config Admin configuration that holds it, and
     * the operator's properties as stored there (secrets as {@code $[secret:...]} references, or
     * inline in a hand-written file).
     */
    record Stored(ConfigObject object, Configuration configuration, Map<String, String> stored) {

        Stored(ConfigObject object, Configuration configuration) {
            this(object, configuration, object.properties());
        }
    }

    private final ConfigurationAdmin admin;
    private final Path etc;
    private final SecretFiles secrets;

    /**
     * @param etc Karaf's {@code etc} directory ({@code karaf.etc}), or {@code null} outside Karaf
     *     (objects then live in Config Admin only)
     */
    ConfigAdminObjects(ConfigurationAdmin admin, Path etc) {
        this(admin, etc, java.nio.charset.Charset.defaultCharset());
    }

    /**
     * @param secretCharset the charset Config Admin's interpolation plugin decodes secret files with
     */
    ConfigAdminObjects(ConfigurationAdmin admin, Path etc, java.nio.charset.Charset secretCharset) {
        this.admin = admin;
        this.etc = etc == null ? null : etc.toAbsolutePath().normalize();
        this.secrets = new SecretFiles(this.etc, secretCharset);
    }

    /** Every object of {@code kind}, by name. */
    Map<String, Stored> all(ObjectKind kind) {
        Configuration[] found;
        try {
            found = admin.listConfigurations("(service.factoryPid=" + kind.pid() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("Config Admin could not list " + kind.pid() + " configurations", e);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Stored> byName = new TreeMap<>();
        if (found != null) {
            for (Configuration c : found) {
                Dictionary<String, Object> props = c.getProperties();
                if (props == null) {
                    continue; // created but never updated: not an object yet
                }
                String name = nameOf(kind, c.getPid(), props.get(FILENAME));
                Map<String, String> stored = userProperties(props);
                byName.putIfAbsent(name, new Stored(new ConfigObject(kind, name, secrets.resolve(stored)), c, stored));
            }
        }
        return byName;
    }

    /** Every object of every kind. */
    List<Stored> everything() {
        List<Stored> all = new ArrayList<>();
        for (ObjectKind kind : ObjectKind.values()) {
            all.addAll(all(kind).values());
        }
        return all;
    }

    Optional<Stored> find(ObjectKind kind, String name) {
        return Optional.ofNullable(all(kind).get(name));
    }

    /**
     * Creates the configuration {@code <pid>~<name>} and its file in {@code etc}; secrets go to
     * their own files ({@link SecretFiles}).
     */
    void create(ConfigObject o) throws IOException {
        Configuration c = admin.getFactoryConfiguration(o.kind().pid(), o.name(), "?");
        List<String> written = new ArrayList<>();
        Map<String, String> stored = storeSecrets(o, Map.of(), written);
        Hashtable<String, Object> props = new Hashtable<>(stored);
        Path file = fileOf(o.kind(), o.name());
        if (file != null) {
            props.put(FILENAME, fileKey(file));
        }
        try {
            c.update(props);
        } catch (IOException | RuntimeException e) {
            forget(written);
            throw e;
        }
        if (file != null && !Files.exists(file)) {
            writeFile(file, new ConfigObject(o.kind(), o.name(), stored));
        }
    }

    /**
     * The properties to store for {@code o}: a secret that {@code before} (as stored) already
     * holds with the same value keeps its stored form unless it is inline and can move to a file;
     * any other secret is written to a new file and replaced by its reference.
     *
     * @param written collects the references of new files, for clean-up
     */
    private Map<String, String> storeSecrets(ConfigObject o, Map<String, String> before, List<String> written)
            throws IOException {
        Map<String, String> stored = new TreeMap<>(o.properties());
        if (!secrets.enabled()) {
            return stored;
        }
        Map<String, String> beforeResolved = secrets.resolve(before);
        for (Map.Entry<String, String> e : stored.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (!dev.lunar.api.ConfigPids.isSecret(key)) {
                continue;
            }
            String old = before.get(key);
            if (old != null && value.equals(beforeResolved.get(key)) && secrets.referencedFile(old) != null) {
                e.setValue(old); // unchanged and already in a file
                continue;
            }
            if (!secrets.fits(value)) {
                // Config Admin's plugin trims file content and decodes it with one charset: such a
                // secret would arrive changed, so it stays in the .cfg (its value is not logged).
                LOG.warn("{} '{}': {} has leading or trailing white space or characters the secret files' "
                        + "charset cannot hold; it stays in the .cfg file instead of etc/{}/", o.kind().label(),
                        o.name(), key, SecretFiles.DIRECTORY);
                continue;
            }
            try {
                String reference = secrets.write(o.kind().pid(), o.name(), key, value);
                written.add(reference);
                e.setValue(reference);
            } catch (IOException ex) {
                forget(written);
                throw ex;
            }
        }
        return stored;
    }

    /** Whether a stored object holds a secret inline that could move to a file. */
    boolean hasInlineSecret(Stored stored) {
        if (!secrets.enabled()) {
            return false;
        }
        return stored.stored().entrySet().stream().anyMatch(e -> dev.lunar.api.ConfigPids.isSecret(e.getKey())
                && secrets.referencedFile(e.getValue()) == null && secrets.fits(e.getValue()));
    }

    /** Deletes the secret files of references that are no longer used. */
    private void forget(java.util.Collection<String> references) {
        for (String reference : references) {
            try {
                secrets.deleteReferenced(reference);
            } catch (IOException e) {
                LOG.warn("Could not delete secret file {}: {}", secrets.referencedFile(reference), e.getMessage());
            }
        }
    }

    /** The references of {@code before} that {@code after} no longer holds. */
    private static List<String> dropped(Map<String, String> before, Map<String, String> after) {
        List<String> gone = new ArrayList<>();
        before.forEach((k, v) -> {
            if (dev.lunar.api.ConfigPids.isSecret(k) && !v.equals(after.get(k))) {
                gone.add(v);
            }
        });
        return gone;
    }

    /**
     * Replaces an object's properties; Config Admin is not called when nothing changed, so the
     * owning component's {@code @Modified} does not run.
     *
     * @return whether the configuration changed
     */
    boolean update(Stored stored, ConfigObject next) throws IOException {
        List<String> written = new ArrayList<>();
        Map<String, String> nextStored = storeSecrets(next, stored.stored(), written);
        Hashtable<String, Object> props = new Hashtable<>(nextStored);
        Object filename = stored.configuration().getProperties().get(FILENAME);
        Path file = filename != null ? fromFileKey(filename.toString()) : fileOf(next.kind(), next.name());
        if (file != null) {
            props.put(FILENAME, filename != null ? filename.toString() : fileKey(file));
        }
        boolean changed;
        try {
            changed = stored.configuration().updateIfDifferent(props);
        } catch (IOException | RuntimeException e) {
            forget(written);
            throw e;
        }
        // The configuration now names the new files: the old ones can go.
        forget(dropped(stored.stored(), nextStored));
        if (changed && file != null && !Files.exists(file)) {
            writeFile(file, new ConfigObject(next.kind(), next.name(), nextStored));
        }
        return changed;
    }

    /** Deletes the configuration, its file and the secret files it refers to. */
    void delete(Stored stored) throws IOException {
        Object filename = stored.configuration().getProperties().get(FILENAME);
        stored.configuration().delete();
        forget(dropped(stored.stored(), Map.of()));
        Path file = filename != null ? fromFileKey(filename.toString()) : fileOf(stored.object().kind(),
                stored.object().name());
        // Only files in etc/ that are this object's: never follow a property to anywhere else.
        if (file != null && etc != null && etc.equals(file.getParent())) {
            Files.deleteIfExists(file);
        }
    }

    /** The file an object lives in, or {@code null} outside Karaf. */
    Path fileOf(ObjectKind kind, String name) {
        return etc == null ? null : etc.resolve(kind.pid() + "-" + name + ".cfg");
    }

    /**
     * The name of a configuration: after {@code ~} in its PID (Config Admin 1.6 named factory
     * configurations), else from its file name {@code <pid>-<name>.cfg}, else the PID itself.
     */
    static String nameOf(ObjectKind kind, String pid, Object filename) {
        int tilde = pid.indexOf('~');
        if (tilde >= 0) {
            return pid.substring(tilde + 1);
        }
        if (filename != null) {
            String file = filename.toString();
            String base = file.substring(file.lastIndexOf('/') + 1);
            String prefix = kind.pid() + "-";
            if (base.startsWith(prefix) && base.endsWith(".cfg") && base.length() > prefix.length() + 4) {
                return base.substring(prefix.length(), base.length() - 4);
            }
        }
        return pid;
    }

    /** The operator's keys only: Config Admin, DS and fileinstall bookkeeping is dropped. */
    static Map<String, String> userProperties(Dictionary<String, Object> props) {
        Map<String, String> user = new TreeMap<>();
        for (Enumeration<String> keys = props.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            if (isBookkeeping(key)) {
                continue;
            }
            Object v = props.get(key);
            if (v != null) {
                user.put(key, text(v));
            }
        }
        return user;
    }

    private static boolean isBookkeeping(String key) {
        return key.startsWith("service.") || key.startsWith("component.") || key.startsWith("felix.")
                || key.startsWith("osgi.") || key.endsWith(".target");
    }

    private static String text(Object v) {
        if (v.getClass().isArray()) {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) {
                parts.add(String.valueOf(Array.get(v, i)));
            }
            return String.join(",", parts);
        }
        if (v instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
        return v.toString();
    }

    /** The form fileinstall writes into {@value #FILENAME}: {@code File.toURI()} ("file:/..."). */
    private static String fileKey(Path file) {
        return file.toFile().getAbsoluteFile().toURI().toString();
    }

    private static Path fromFileKey(String key) {
        try {
            return key.startsWith("file:") ? Path.of(new URI(key)).toAbsolutePath().normalize() : new File(key).toPath();
        } catch (Exception e) {
            return null;
        }
    }

    /** Writes {@code file} as Karaf's installer reads it: properties syntax, ASCII with escapes. */
    static void writeFile(Path file, ConfigObject o) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# Written by Lunar's configuration service (lunar:apply / ConfigurationService).\n");
        sb.append("# Karaf reads ").append(o.kind().pid()).append("-NAME.cfg as the factory configuration ")
                .append(o.kind().pid()).append("~NAME; keys: dev.lunar.api.ConfigPids.\n");
        for (Map.Entry<String, String> e : o.properties().entrySet()) {
            sb.append(escape(e.getKey(), true)).append(" = ").append(escape(e.getValue(), false)).append('\n');
        }
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, sb.toString(), StandardCharsets.ISO_8859_1);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** java.util.Properties escaping, plus a unicode escape for everything outside printable ASCII. */
    private static String escape(String s, boolean key) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\f' -> sb.append("\\f");
                case '=', ':', '#', '!' -> sb.append(key || i == 0 ? "\\" + ch : String.valueOf(ch));
                case ' ' -> sb.append(key || i == 0 ? "\\ " : " ");
                default -> {
                    if (ch < 0x20 || ch > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.toString();
    }
}
