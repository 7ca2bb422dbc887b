package dev.lunar.config.internal;

import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PlanStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The minimum change from the running objects to a desired document, in a safe order: deletions
 * first, dependants before what they depend on (ACLs, LUNs, portals, targets), so a LUN number or
 * a portal address that moves from one object to another is free before it is taken; then
 * creations and updates in the opposite order (targets, portals, LUNs, ACLs), so every LUN and ACL
 * finds its target. Objects whose properties are equal produce no step at all.
 */
final class ApplyPlanner {

    /** A secret that changes shows as this in the plan: the reader learns that, never the value. */
    static final String CHANGED_SECRET = "******** (changed)";

    private ApplyPlanner() {
    }

    /**
     * The desired properties redacted, where a secret whose value changes reads
     * {@value #CHANGED_SECRET}: two redacted values would otherwise look equal.
     */
    private static Map<String, String> redactedAfter(ConfigObject before, ConfigObject after) {
        Map<String, String> shown = new java.util.TreeMap<>(after.redacted().properties());
        shown.replaceAll((k, v) -> dev.lunar.api.ConfigPids.isSecret(k) && before.properties().containsKey(k)
                && !before.properties().get(k).equals(after.properties().get(k)) ? CHANGED_SECRET : v);
        return shown;
    }

    static List<ConfigurationComponent.Change> plan(Map<ObjectKind, Map<String, ConfigAdminObjects.Stored>> current,
            ConfigDocument desired) {
        List<ConfigurationComponent.Change> changes = new ArrayList<>();
        ObjectKind[] kinds = ObjectKind.values();
        for (int i = kinds.length - 1; i >= 0; i--) {
            ObjectKind kind = kinds[i];
            List<String> wanted = desired.of(kind).stream().map(ConfigObject::name).toList();
            for (ConfigAdminObjects.Stored stored : current.get(kind).values()) {
                if (!wanted.contains(stored.object().name())) {
                    changes.add(new ConfigurationComponent.Change(new PlanStep(PlanStep.Action.DELETE, kind,
                            stored.object().name(), stored.object().redacted().properties(), Map.of()), stored, null));
                }
            }
        }
        for (ObjectKind kind : kinds) {
            for (ConfigObject want : desired.of(kind)) {
                ConfigAdminObjects.Stored stored = current.get(kind).get(want.name());
                if (stored == null) {
                    changes.add(new ConfigurationComponent.Change(new PlanStep(PlanStep.Action.CREATE, kind,
                            want.name(), Map.of(), want.redacted().properties()), null, want));
                } else if (!stored.object().properties().equals(want.properties())) {
                    changes.add(new ConfigurationComponent.Change(new PlanStep(PlanStep.Action.UPDATE, kind,
                            want.name(), stored.object().redacted().properties(), redactedAfter(stored.object(), want)),
                            stored, want));
                }
            }
        }
        return changes;
    }
}
