package dev.lunar.config.internal;

import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ObjectKind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The JSON form of a {@link ConfigDocument} ({@code lunar:export}, {@code lunar:apply}):
 *
 * <pre>
 * {
 *   "version": 1,
 *   "targets": [ { "name": "default", "properties": { "auth": "none", "iqn": "iqn...:default" } } ],
 *   "portals": [ ... ],
 *   "luns": [ ... ],
 *   "acls": [ ... ]
 * }
 * </pre>
 *
 * Written stable (kinds in this order, objects by name, properties by key) so that two exports of
 * the same configuration are byte-identical and a diff between them shows only real changes.
 * Property values are strings; numbers and booleans are accepted on reading and kept as their text.
 */
final class DocumentJson {

    private static final String VERSION = "version";
    private static final String NAME = "name";
    private static final String PROPERTIES = "properties";

    private DocumentJson() {
    }

    /** The section of a kind: {@code targets}, {@code portals}, {@code luns}, {@code acls}. */
    static String section(ObjectKind kind) {
        return kind.label() + "s";
    }

    static String write(ConfigDocument document) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put(VERSION, document.version());
        for (ObjectKind kind : ObjectKind.values()) {
            List<Object> objects = new ArrayList<>();
            for (ConfigObject o : document.of(kind)) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put(NAME, o.name());
                entry.put(PROPERTIES, new TreeMap<>(o.properties()));
                objects.add(entry);
            }
            root.put(section(kind), objects);
        }
        return Json.write(root);
    }

    /**
     * Reads a document.
     *
     * @throws IllegalArgumentException naming line, column and the problem
     */
    static ConfigDocument read(String json) {
        Json.Node root = Json.parse(json);
        if (!root.isObject()) {
            throw new IllegalArgumentException(root.where() + ": a Lunar configuration document is a JSON object "
                    + "with \"version\" and \"targets\", \"portals\", \"luns\", \"acls\" arrays, not " + root.typeName());
        }
        Map<String, Json.Node> members = root.object();
        Json.Node version = members.get(VERSION);
        if (version == null) {
            throw new IllegalArgumentException(root.where() + ": the document has no \"version\"; write \"version\": "
                    + ConfigDocument.VERSION);
        }
        if (!(version.value() instanceof BigDecimal v) || v.compareTo(BigDecimal.valueOf(ConfigDocument.VERSION)) != 0) {
            throw new IllegalArgumentException(version.where() + ": document version " + version.scalarText()
                    + " is not supported; this Lunar reads version " + ConfigDocument.VERSION);
        }
        Map<String, ObjectKind> sections = new LinkedHashMap<>();
        for (ObjectKind kind : ObjectKind.values()) {
            sections.put(section(kind), kind);
        }
        List<ConfigObject> objects = new ArrayList<>();
        for (Map.Entry<String, Json.Node> member : members.entrySet()) {
            if (member.getKey().equals(VERSION)) {
                continue;
            }
            ObjectKind kind = sections.get(member.getKey());
            if (kind == null) {
                throw new IllegalArgumentException(member.getValue().where() + ": unknown section \"" + member.getKey()
                        + "\"; a document has version, " + String.join(", ", sections.keySet()));
            }
            objects.addAll(readSection(kind, member.getKey(), member.getValue()));
        }
        return new ConfigDocument(ConfigDocument.VERSION, objects);
    }

    private static List<ConfigObject> readSection(ObjectKind kind, String section, Json.Node node) {
        if (!(node.value() instanceof List)) {
            throw new IllegalArgumentException(node.where() + ": \"" + section + "\" must be an array of objects, not "
                    + node.typeName());
        }
        List<ConfigObject> objects = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int index = 0;
        for (Json.Node entry : node.array()) {
            String at = entry.where() + " (" + section + "[" + index++ + "])";
            if (!entry.isObject()) {
                throw new IllegalArgumentException(at + ": expected an object with \"name\" and \"properties\", not "
                        + entry.typeName());
            }
            Map<String, Json.Node> fields = entry.object();
            for (String field : fields.keySet()) {
                if (!field.equals(NAME) && !field.equals(PROPERTIES)) {
                    throw new IllegalArgumentException(at + ": unknown member \"" + field + "\"; an entry has only "
                            + "\"name\" and \"properties\"");
                }
            }
            Json.Node name = fields.get(NAME);
            if (name == null || !(name.value() instanceof String n) || n.isEmpty()) {
                throw new IllegalArgumentException(at + ": every " + kind.label() + " needs a \"name\" string");
            }
            if (!names.add(n)) {
                throw new IllegalArgumentException(name.where() + ": " + kind.label() + " '" + n
                        + "' appears twice in \"" + section + "\"");
            }
            Map<String, String> properties = new TreeMap<>();
            Json.Node props = fields.get(PROPERTIES);
            if (props != null) {
                if (!props.isObject()) {
                    throw new IllegalArgumentException(props.where() + ": \"properties\" of " + kind.label() + " '" + n
                            + "' must be an object of key/value pairs, not " + props.typeName());
                }
                for (Map.Entry<String, Json.Node> p : props.object().entrySet()) {
                    String text = p.getValue().scalarText();
                    if (text == null) {
                        throw new IllegalArgumentException(p.getValue().where() + ": property \"" + p.getKey() + "\" of "
                                + kind.label() + " '" + n + "' must be a string, number or true/false, not "
                                + p.getValue().typeName());
                    }
                    properties.put(p.getKey(), text);
                }
            }
            objects.add(new ConfigObject(kind, n, properties));
        }
        return objects;
    }
}
