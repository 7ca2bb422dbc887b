package dev.lunar.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Creates, changes and removes Lunar's configuration objects (DESIGN.md §3.6). Every object is a
 * Config Admin factory configuration that Karaf persists as {@code etc/<pid>-<name>.cfg}; the
 * components owning targets, portals and LUNs apply changes live. Used by the shell, JMX and tests.
 *
 * <p>Mistakes (an unknown key, a malformed IQN, a duplicate name, a LUN number already taken)
 * throw {@link IllegalArgumentException} with a sentence an operator can act on; nothing is
 * changed then. Calls may block briefly on Config Admin; never call from an I/O thread.
 */
@ProviderType
public interface ConfigurationService {

    /** Objects of one kind, secrets redacted. */
    List<ConfigObject> list(ObjectKind kind);

    /** One object, secrets redacted. */
    Optional<ConfigObject> get(ObjectKind kind, String name);

    /**
     * Creates an object.
     *
     * @throws IllegalArgumentException when the name exists or a property is invalid
     */
    ConfigObject create(ObjectKind kind, String name, Map<String, String> properties);

    /**
     * Changes an object: {@code set} keys are added or replaced, {@code remove} keys are dropped.
     * Only that object's component sees the change; unrelated sessions are untouched.
     *
     * @throws IllegalArgumentException when there is no such object or a value is invalid
     */
    ConfigObject update(ObjectKind kind, String name, Map<String, String> set, List<String> remove);

    /**
     * Removes an object. A target with sessions, or a LUN whose target has sessions, is refused
     * with an {@link IllegalStateException} naming the sessions unless {@code force}.
     *
     * @throws IllegalArgumentException when there is no such object
     */
    void delete(ObjectKind kind, String name, boolean force);

    /** The whole configuration, secrets included (the document must reproduce it). */
    ConfigDocument export();

    /**
     * Computes, and unless {@code dryRun} applies, the minimum change that makes the running
     * configuration equal {@code desired}. Objects equal in both are not touched.
     *
     * @throws IllegalArgumentException when the document is invalid (nothing is applied then)
     */
    ApplyPlan apply(ConfigDocument desired, boolean dryRun);

    /** Writes a document as JSON (the format of {@code lunar:export}). */
    String toJson(ConfigDocument document);

    /**
     * Reads a document written by {@link #toJson}.
     *
     * @throws IllegalArgumentException naming the line and what is wrong
     */
    ConfigDocument parseJson(String json);

    /**
     * Converts an LIO {@code saveconfig.json} (targets, TPG portals, LUNs on fileio, block and
     * ramdisk storage objects, ACLs, CHAP) into a document.
     *
     * @throws IllegalArgumentException when the text is not an LIO configuration
     */
    ImportReport importLio(String saveconfigJson);
}
