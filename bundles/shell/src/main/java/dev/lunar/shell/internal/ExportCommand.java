package dev.lunar.shell.internal;

import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigurationService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;

/**
 * {@code lunar:export [FILE]}: the whole configuration as a JSON document that
 * {@code lunar:apply} reproduces, on the terminal or into a file. The document holds CHAP secrets
 * (it must, to reproduce them), so a file is created readable by its owner only.
 */
@Service
@Command(scope = "lunar", name = "export",
        description = "Writes the whole configuration (targets, portals, LUNs, ACLs, secrets included) as JSON")
public class ExportCommand implements Action {

    @Argument(index = 0, name = "file", required = false,
            description = "Where to write the document; without it the document is printed")
    @Completion(FileCompleter.class)
    String file;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() throws IOException {
        ConfigurationService service = Availability.running(configs, ConfigurationService.class,
                "Lunar's configuration service");
        ConfigDocument document = service.export();
        String json = service.toJson(document);
        if (file == null) {
            System.out.print(json);
            return null;
        }
        Path path = Path.of(file).toAbsolutePath();
        if (Files.isDirectory(path)) {
            throw new IllegalArgumentException(file + " is a directory; give a file name such as lunar-config.json");
        }
        if (path.getParent() == null || !Files.isDirectory(path.getParent())) {
            throw new IllegalArgumentException("there is no directory " + path.getParent() + " to write " + file
                    + " into");
        }
        write(path, json);
        System.out.println("Wrote " + document.objects().size() + " objects to " + path
                + " (it contains CHAP secrets: readable by its owner only).");
        return null;
    }

    /** Writes through a temporary file so a reader never sees half a document. */
    private static void write(Path path, String json) throws IOException {
        Path tmp = path.resolveSibling("." + path.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, json, StandardCharsets.UTF_8);
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
    }
}
