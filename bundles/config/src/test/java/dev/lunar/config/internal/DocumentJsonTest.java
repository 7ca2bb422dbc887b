package dev.lunar.config.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ObjectKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DocumentJsonTest {

    @Test
    void readsNumbersAndBooleansAsTextAndMissingSectionsAsEmpty() {
        ConfigDocument d = DocumentJson.read("""
                {"version": 1, "luns": [{"name": "x", "properties": {"lun": 3, "removable": true,
                 "target": "iqn.2026-11.dev.lunar:a", "backend": "ramdisk", "size": "1G"}}]}""");
        assertEquals(List.of(new ConfigObject(ObjectKind.LUN, "x", Map.of("lun", "3", "removable", "true",
                "target", "iqn.2026-11.dev.lunar:a", "backend", "ramdisk", "size", "1G"))), d.objects());
    }

    @Test
    void emptyDocumentWritesEverySection() {
        assertEquals("{\n  \"version\": 1,\n  \"targets\": [],\n  \"portals\": [],\n  \"luns\": [],\n  \"acls\": []\n}\n",
                DocumentJson.write(new ConfigDocument(1, List.of())));
    }

    @Test
    void unicodeAndEscapesRoundTrip() {
        ConfigDocument d = new ConfigDocument(1, List.of(new ConfigObject(ObjectKind.TARGET, "t",
                Map.of("alias", "Läufer \u0001 \"x\" \\ \t", "iqn", "iqn.2026-11.dev.lunar:t"))));
        assertEquals(d, DocumentJson.read(DocumentJson.write(d)));
        assertEquals("é😀", ((Json.Node) Json.parse("\"\\u00e9\\ud83d\\ude00\"")).value());
    }

    @Test
    void errorsNameLineColumnAndProblem() {
        assertError("line 3, column 5: expected ',' or '}' after member \"version\" but found '\"'",
                "{\n  \"version\": 1\n    \"targets\": []\n}");
        assertError("line 1, column 1: a Lunar configuration document is a JSON object", "[]");
        assertError("the document has no \"version\"", "{}");
        assertError("line 1, column 13: document version 2 is not supported", "{\"version\": 2}");
        assertError("unknown section \"disks\"", "{\"version\": 1, \"disks\": []}");
        assertError("\"targets\" must be an array of objects, not an object", "{\"version\": 1, \"targets\": {}}");
        assertError("target 'a' appears twice in \"targets\"",
                "{\"version\": 1, \"targets\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}");
        assertError("line 1, column 64: property \"iqn\" of target 'a' must be a string, number or true/false, not "
                + "an array", "{\"version\": 1, \"targets\": [{\"name\": \"a\", \"properties\": {\"iqn\": []}}]}");
        assertError("unknown member \"props\"", "{\"version\": 1, \"targets\": [{\"name\": \"a\", \"props\": {}}]}");
        assertError("every lun needs a \"name\" string", "{\"version\": 1, \"luns\": [{\"properties\": {}}]}");
        assertError("member \"version\" appears twice", "{\"version\": 1, \"version\": 1}");
        assertError("a string is not closed", "{\"version");
        assertError("strings need double quotes", "{\"version\": one}");
        assertError("unexpected text after the end of the document", "{\"version\": 1} x");
        assertError("the document is empty", "  \n ");
        assertError("a control character (code 10) inside a string must be escaped", "{\"a\n\": 1}");
        assertError("'\\x' is not a JSON escape", "{\"\\x\": 1}");
    }

    @Test
    void inputIsBounded() {
        assertError("at most 16777216 (16 MiB) are accepted", " ".repeat(Json.MAX_CHARS + 1));
        assertError("nesting is deeper than 64 levels", "[".repeat(100) + "]".repeat(100));
        // Just inside the limit is fine.
        assertEquals(List.of(), ((Json.Node) Json.parse("[" + " ".repeat(1000) + "]")).value());
    }

    static void assertError(String expected, String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DocumentJson.read(json));
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }
}
