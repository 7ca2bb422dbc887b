package dev.lunar.scsi.internal.pr;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persistent reservations that survive a power loss (APTPL = 1, SPC-4 "Preserving persistent
 * reservations and registrations"): one small text file in the logical unit's state directory,
 * replaced atomically (write a temporary file, fsync it, rename it over the old one, fsync the
 * directory), so that a crash leaves either the old or the new state, never a torn one.
 *
 * <p>Writes run on one shared background thread in submission order, never on a dispatch
 * thread (fsync blocks); the thread ends when idle. {@link #load} blocks and is called once, when
 * the logical unit's reservation state is created.
 */
public final class AptplStore {

    private static final Logger LOG = LoggerFactory.getLogger(AptplStore.class);
    static final String FILE = "persistent-reservations";
    private static final String MAGIC = "lunar-persistent-reservations 1";

    /** One thread, FIFO, gone after 10 s idle: ordering of snapshots is the order of submission. */
    private static final Executor WRITER = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "lunar-pr-aptpl");
                t.setDaemon(true);
                return t;
            });

    /** What is saved: PRgeneration, registrations, and the reservation if one exists. */
    public record Snapshot(long generation, List<Registration> registrations, PrType type, int holderIndex) {
    }

    private final Path directory;
    private final Path file;

    public AptplStore(Path directory) {
        this.directory = directory;
        this.file = directory.resolve(FILE);
    }

    public Path file() {
        return file;
    }

    /**
     * Saves {@code s} (or deletes the file when {@code s} is null: APTPL was turned off) on the
     * writer thread. Must be called in the order the states were produced (under the caller's lock).
     */
    public CompletableFuture<Void> save(Snapshot s) {
        return CompletableFuture.runAsync(() -> {
            try {
                if (s == null) {
                    delete();
                } else {
                    write(s);
                }
            } catch (IOException e) {
                LOG.warn("Could not persist reservations to {}", file, e);
                throw new java.io.UncheckedIOException(e);
            }
        }, WRITER);
    }

    private void write(Snapshot s) throws IOException {
        Files.createDirectories(directory);
        StringBuilder b = new StringBuilder(MAGIC).append('\n');
        b.append("generation\t").append(s.generation()).append('\n');
        for (Registration r : s.registrations()) {
            b.append("registration\t").append(Long.toHexString(r.key())).append('\t')
                    .append(r.allTargetPorts() ? 1 : 0).append('\t').append(r.relativeTargetPortId()).append('\t')
                    .append(r.initiatorPort()).append('\t').append(r.targetPort()).append('\n');
        }
        if (s.type() != null) {
            b.append("reservation\t").append(s.type().code()).append('\t').append(s.holderIndex()).append('\n');
        }
        Path tmp = directory.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory();
    }

    private void delete() throws IOException {
        if (Files.deleteIfExists(file)) {
            syncDirectory();
        }
    }

    /** The rename is durable only once the directory entry is (POSIX); best effort elsewhere. */
    private void syncDirectory() {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("Directory {} cannot be synced: {}", directory, e.toString());
        }
    }

    /**
     * Reads the saved state; null when there is none. A file that cannot be parsed is renamed to
     * {@code persistent-reservations.corrupt} and ignored (logged), so the LU still comes up.
     */
    public Snapshot load() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.warn("Could not read saved reservations {}; starting without them", file, e);
            return null;
        }
        try {
            return parse(lines);
        } catch (RuntimeException e) {
            LOG.warn("Saved reservations {} are corrupt ({}); moved aside, starting without them", file,
                    e.getMessage());
            try {
                Files.move(file, directory.resolve(FILE + ".corrupt"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException ignored) {
                LOG.debug("Could not move {} aside", file);
            }
            return null;
        }
    }

    private static Snapshot parse(List<String> lines) {
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            throw new IllegalArgumentException("unknown format");
        }
        long generation = 0;
        List<Registration> regs = new ArrayList<>();
        PrType type = null;
        int holder = -1;
        for (String line : lines.subList(1, lines.size())) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            switch (f[0]) {
                case "generation" -> generation = Long.parseLong(f[1]);
                case "registration" -> {
                    if (f.length != 6) {
                        throw new IllegalArgumentException("bad registration line");
                    }
                    long key = Long.parseUnsignedLong(f[1], 16);
                    if (key == 0) {
                        throw new IllegalArgumentException("zero key");
                    }
                    regs.add(new Registration(f[4], f[5], Integer.parseInt(f[3]), "1".equals(f[2]), key));
                }
                case "reservation" -> {
                    type = PrType.of(Integer.parseInt(f[1]));
                    holder = Integer.parseInt(f[2]);
                    if (type == null || holder >= regs.size() || (holder < 0 && !type.allRegistrants())) {
                        throw new IllegalArgumentException("bad reservation line");
                    }
                }
                default -> throw new IllegalArgumentException("unknown line " + f[0]);
            }
        }
        return new Snapshot(generation, regs, type, holder);
    }
}
