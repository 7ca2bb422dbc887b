package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds configuration objects the way an operator names them, and says what to do when there is
 * none. Targets may be named by configuration name or by IQN (LUN and ACL objects refer to their
 * target by IQN, operators mostly think in names); every other kind by name.
 */
final class ConfigLookup {

    /** How each kind reads in a sentence, and the command that lists it. */
    private static final Map<ObjectKind, String[]> WORDS = Map.of(
            ObjectKind.TARGET, new String[] {"target", "lunar:target-list"},
            ObjectKind.PORTAL, new String[] {"portal", "lunar:portal-list"},
            ObjectKind.LUN, new String[] {"LUN", "lunar:lun-list"},
            ObjectKind.ACL, new String[] {"ACL", "lunar:acl-list"});

    private final ConfigurationService configs;

    ConfigLookup(ConfigurationService configs) {
        this.configs = Availability.running(configs, ConfigurationService.class, "Lunar's configuration service");
    }

    ConfigurationService service() {
        return configs;
    }

    /** The word for a kind in a sentence: target, portal, LUN, ACL. */
    static String word(ObjectKind kind) {
        return WORDS.get(kind)[0];
    }

    /**
     * The object of that kind and name.
     *
     * @throws IllegalArgumentException when there is none, naming the command that lists them
     */
    ConfigObject require(ObjectKind kind, String name) {
        return configs.get(kind, name).orElseThrow(() -> new IllegalArgumentException(
                "There is no " + word(kind) + " named '" + name + "'; " + WORDS.get(kind)[1] + " shows them."));
    }

    /** The target with this configuration name or, failing that, this IQN. */
    Optional<ConfigObject> findTarget(String nameOrIqn) {
        Optional<ConfigObject> byName = configs.get(ObjectKind.TARGET, nameOrIqn);
        if (byName.isPresent()) {
            return byName;
        }
        return configs.list(ObjectKind.TARGET).stream()
                .filter(t -> nameOrIqn.equals(t.properties().get(ConfigPids.TARGET_IQN)))
                .findFirst();
    }

    /**
     * The target with this configuration name or IQN.
     *
     * @throws IllegalArgumentException when there is none
     */
    ConfigObject target(String nameOrIqn) {
        return findTarget(nameOrIqn).orElseThrow(() -> new IllegalArgumentException(
                "There is no target named or with the IQN '" + nameOrIqn
                        + "'; lunar:target-list shows the configured targets."));
    }

    static String iqn(ConfigObject target) {
        return target.properties().getOrDefault(ConfigPids.TARGET_IQN, "");
    }

    /** LUN objects whose {@code target} key is this IQN. */
    List<ConfigObject> lunsOf(String iqn) {
        return configs.list(ObjectKind.LUN).stream()
                .filter(l -> iqn.equals(l.properties().get(ConfigPids.LUN_TARGET)))
                .toList();
    }

    /** ACL objects whose {@code target} key is this IQN. */
    List<ConfigObject> aclsOf(String iqn) {
        return configs.list(ObjectKind.ACL).stream()
                .filter(a -> iqn.equals(a.properties().get(ConfigPids.ACL_TARGET)))
                .toList();
    }
}
