package dev.lunar.api;

import java.util.Comparator;
import java.util.List;

/**
 * The whole configuration of a Lunar instance: what {@code lunar:export} writes and
 * {@code lunar:apply} reads. Objects are ordered by kind, then name.
 *
 * @param version document format version ({@value #VERSION} today)
 * @param objects every target, portal, LUN and ACL
 */
public record ConfigDocument(int version, List<ConfigObject> objects) {

    public static final int VERSION = 1;

    public ConfigDocument {
        objects = objects.stream()
                .sorted(Comparator.comparing(ConfigObject::kind).thenComparing(ConfigObject::name))
                .toList();
    }

    public List<ConfigObject> of(ObjectKind kind) {
        return objects.stream().filter(o -> o.kind() == kind).toList();
    }
}
