package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ImportReport;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PlanStep;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lunar:export, lunar:apply and lunar:import-lio against a recording configuration service. */
class DeclarativeConfigCommandsTest {

    static final ConfigObject TARGET = new ConfigObject(ObjectKind.TARGET, "a",
            Map.of("iqn", "iqn.2026-11.dev.lunar:a", "chapUser", "u", "chapSecret", "secret-secret"));

    @TempDir
    Path dir;

    final Recording service = new Recording();

    @Test
    void exportWritesAnOwnerOnlyFileAndSaysHowMany() throws Exception {
        ExportCommand export = new ExportCommand();
        export.configs = service;
        export.file = dir.resolve("config.json").toString();
        String out = capture(export::execute);
        assertEquals("JSON of 2 objects\n", Files.readString(dir.resolve("config.json")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("config.json"))));
        assertTrue(out.startsWith("Wrote 2 objects to " + dir.resolve("config.json")), out);

        export.file = null;
        assertEquals("JSON of 2 objects\n", capture(export::execute));
        export.file = dir.resolve("missing/config.json").toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, export::execute);
        assertTrue(e.getMessage().startsWith("there is no directory " + dir.resolve("missing")), e.getMessage());
    }

    @Test
    void applyPrintsThePlanAndADryRunSaysNothingChanged() throws Exception {
        Files.writeString(dir.resolve("d.json"), "{}");
        service.plan = List.of(
                new PlanStep(PlanStep.Action.DELETE, ObjectKind.ACL, "old", Map.of("target", "x"), Map.of()),
                new PlanStep(PlanStep.Action.CREATE, ObjectKind.TARGET, "b", Map.of(),
                        Map.of("iqn", "iqn.2026-11.dev.lunar:b")),
                new PlanStep(PlanStep.Action.UPDATE, ObjectKind.LUN, "b-0",
                        Map.of("size", "64MiB", "readOnly", "true", "chapSecret", "********"),
                        Map.of("size", "128MiB", "removable", "true", "chapSecret", "******** (changed)")));
        ApplyCommand apply = new ApplyCommand();
        apply.configs = service;
        apply.file = dir.resolve("d.json").toString();
        apply.dryRun = true;
        String out = capture(apply::execute);
        assertEquals("""
                - delete acl old
                + create target b {iqn=iqn.2026-11.dev.lunar:b}
                ~ update lun b-0: chapSecret changed, -readOnly, +removable=true, size 64MiB -> 128MiB
                Dry run: 3 changes planned, nothing was changed (run without --dry-run to apply).
                """, out);
        assertEquals(List.of("parse {}", "apply dryRun=true"), service.calls);

        apply.dryRun = false;
        assertTrue(capture(apply::execute).endsWith("3 changes applied.\n"));
        service.plan = List.of();
        assertEquals("Nothing to change: the configuration already matches " + apply.file + ".\n",
                capture(apply::execute));
    }

    @Test
    void fileProblemsAreSentences() throws Exception {
        assertRefused("there is no file " + dir.resolve("nope.json"), dir.resolve("nope.json").toString());
        assertRefused(dir + " is a directory", dir.toString());
        Path latin1 = dir.resolve("latin1.json");
        Files.write(latin1, new byte[] {'{', (byte) 0xE9, '}'});
        assertRefused(latin1 + " is not UTF-8 text", latin1.toString());
        assertTrue(service.calls.isEmpty());
    }

    @Test
    void importPrintsObjectsRedactedAndUnmappedAndAppliesOnlyWhenAsked() throws Exception {
        Files.writeString(dir.resolve("saveconfig.json"), "{\"targets\": []}");
        service.report = new ImportReport(new ConfigDocument(1, List.of(TARGET)),
                List.of("Portal 192.0.2.1:3260 of target x is iSER-enabled and is not imported."));
        ImportLioCommand command = new ImportLioCommand();
        command.configs = service;
        command.file = dir.resolve("saveconfig.json").toString();
        String out = capture(command::execute);
        assertTrue(out.contains("  target a {chapSecret=********, chapUser=u, iqn=iqn.2026-11.dev.lunar:a}"), out);
        assertTrue(out.contains("Not mapped (1):\n  - Portal 192.0.2.1:3260"), out);
        assertTrue(out.endsWith("Nothing was changed; run again with --apply to add these objects.\n"), out);
        assertTrue(!out.contains("secret-secret"), out);
        assertEquals(List.of("importLio"), service.calls);

        command.apply = true;
        service.calls.clear();
        capture(command::execute);
        assertEquals(List.of("importLio", "export", "apply dryRun=false"), service.calls);
        // The running configuration stays; the imported target replaces the one of the same name.
        assertEquals(List.of(TARGET, service.running.get(1)), service.applied.objects());
    }

    void assertRefused(String expected, String file) {
        ApplyCommand apply = new ApplyCommand();
        apply.configs = service;
        apply.file = file;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, apply::execute);
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }

    static String capture(Callable<Object> command) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            command.call();
        } finally {
            System.setOut(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Records calls; returns canned plans and reports. */
    static final class Recording implements ConfigurationService {
        final List<String> calls = new ArrayList<>();
        final List<ConfigObject> running = List.of(
                new ConfigObject(ObjectKind.TARGET, "a", Map.of("iqn", "iqn.2026-11.dev.lunar:old")),
                new ConfigObject(ObjectKind.TARGET, "default", Map.of("iqn", "iqn.2026-11.dev.lunar:default")));
        List<PlanStep> plan = List.of();
        ImportReport report;
        ConfigDocument applied;

        @Override
        public List<ConfigObject> list(ObjectKind kind) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<ConfigObject> get(ObjectKind kind, String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ConfigObject create(ObjectKind kind, String name, Map<String, String> properties) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ConfigObject update(ObjectKind kind, String name, Map<String, String> set, List<String> remove) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void delete(ObjectKind kind, String name, boolean force) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ConfigDocument export() {
            calls.add("export");
            return new ConfigDocument(1, running);
        }

        @Override
        public ApplyPlan apply(ConfigDocument desired, boolean dryRun) {
            calls.add("apply dryRun=" + dryRun);
            applied = desired;
            return new ApplyPlan(plan, !dryRun);
        }

        @Override
        public String toJson(ConfigDocument document) {
            return "JSON of " + document.objects().size() + " objects\n";
        }

        @Override
        public ConfigDocument parseJson(String json) {
            calls.add("parse " + json);
            return new ConfigDocument(1, List.of());
        }

        @Override
        public ImportReport importLio(String saveconfigJson) {
            calls.add("importLio");
            return report;
        }
    }
}
