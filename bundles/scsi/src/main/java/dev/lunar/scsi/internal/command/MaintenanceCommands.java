package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;
import static dev.lunar.scsi.internal.command.CommandFlag.NO_UNIT_ATTENTION;
import static dev.lunar.scsi.internal.command.CommandFlag.WRITES_MEDIUM;
import static dev.lunar.scsi.internal.command.CommandTable.usage;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maintenance and discovery commands: REPORT SUPPORTED OPERATION CODES (SPC-4), REPORT SUPPORTED
 * TASK MANAGEMENT FUNCTIONS (SPC-4), READ DEFECT DATA(10)/(12) (SBC-3: a virtual disk has no
 * defects, so the lists are empty) and SANITIZE (SBC-3 SANITIZE command and sanitize operations:
 * OVERWRITE and BLOCK ERASE, EXIT FAILURE MODE; no CRYPTO ERASE, as nothing is encrypted).
 */
final class MaintenanceCommands {

    private static final Logger LOG = LoggerFactory.getLogger(MaintenanceCommands.class);

    static final int SA_REPORT_SUPPORTED_OPCODES = 0x0c;
    static final int SA_REPORT_SUPPORTED_TMFS = 0x0d;
    static final int SANITIZE = 0x48;
    static final int SA_OVERWRITE = 0x01;
    static final int SA_BLOCK_ERASE = 0x02;
    static final int SA_EXIT_FAILURE_MODE = 0x1f;

    /** RECOMMENDED COMMAND TIMEOUT in the timeouts descriptors, seconds (SPC-4 command timeouts descriptor). */
    static final int RECOMMENDED_TIMEOUT_SECONDS = 30;
    /** TEST field of the OVERWRITE parameter list must be 0 outside vendor tests. */
    private static final int OVERWRITE_HEADER = 4;

    private final CommandTable table;

    private MaintenanceCommands(CommandTable table) {
        this.table = table;
    }

    static void register(CommandTable t) {
        MaintenanceCommands m = new MaintenanceCommands(t);
        t.add(PortGroupCommands.MAINTENANCE_IN, SA_REPORT_SUPPORTED_OPCODES, "REPORT SUPPORTED OPERATION CODES",
                usage(0xa3, SA_REPORT_SUPPORTED_OPCODES, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x07),
                m::reportSupportedOperationCodes);
        t.add(PortGroupCommands.MAINTENANCE_IN, SA_REPORT_SUPPORTED_TMFS, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS",
                usage(0xa3, SA_REPORT_SUPPORTED_TMFS, 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07),
                MaintenanceCommands::reportSupportedTmfs);
        t.add(0x37, "READ DEFECT DATA(10)", usage(0x37, 0, 0x1f, 0, 0, 0, 0, 0xff, 0xff, 0x07),
                c -> readDefectData(c, c.u8(2), c.u16(7), false));
        t.add(0xb7, "READ DEFECT DATA(12)", usage(0xb7, 0x1f, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07),
                c -> readDefectData(c, c.u8(1), c.u32(6), true));
        // IMMED and AUSE; the reserved bit and bytes are checked but not used.
        t.add(SANITIZE, SA_OVERWRITE, "SANITIZE/OVERWRITE", sanitizeUsage(SA_OVERWRITE),
                MaintenanceCommands::overwrite, MEDIUM, WRITES_MEDIUM);
        t.add(SANITIZE, SA_BLOCK_ERASE, "SANITIZE/BLOCK ERASE", sanitizeUsage(SA_BLOCK_ERASE),
                MaintenanceCommands::blockErase, MEDIUM, WRITES_MEDIUM);
        t.add(SANITIZE, SA_EXIT_FAILURE_MODE, "SANITIZE/EXIT FAILURE MODE", sanitizeUsage(SA_EXIT_FAILURE_MODE),
                MaintenanceCommands::exitFailureMode, MEDIUM, WRITES_MEDIUM);
        t.addGate(MaintenanceCommands::sanitizeGate);
    }

    private static byte[] sanitizeUsage(int sa) {
        return usage(SANITIZE, 0xa0 | sa, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07);
    }

    // ------------------------------------------------------------------ REPORT SUPPORTED OPERATION CODES

    private void reportSupportedOperationCodes(Command c) {
        boolean rctd = c.bit(2, 7);
        int options = c.bits(2, 0, 3);
        int opcode = c.u8(3);
        int serviceAction = c.u16(4);
        int alloc = (int) Math.min(c.u32(6), Integer.MAX_VALUE);
        if ((c.u8(2) & 0x78) != 0) {
            c.invalidField(2, 6);
            return;
        }
        byte[] data;
        switch (options) {
            case 0 -> data = allCommands(c.lu(), rctd);
            case 1 -> {
                // 001b names an opcode without service actions (SPC-4).
                if (table.hasServiceActions(opcode)) {
                    c.invalidField(2, 2);
                    return;
                }
                data = oneCommand(c.lu(), table.lookup(opcode, 0), rctd);
            }
            case 2 -> {
                if (table.supports(opcode) && !table.hasServiceActions(opcode)) {
                    c.invalidField(2, 2);
                    return;
                }
                data = oneCommand(c.lu(), serviceAction > 0x1f ? null : table.lookup(opcode, serviceAction), rctd);
            }
            case 3 -> data = oneCommand(c.lu(), table.hasServiceActions(opcode)
                    ? (serviceAction > 0x1f ? null : table.lookup(opcode, serviceAction))
                    : table.lookup(opcode, 0), rctd);
            default -> {
                c.invalidField(2, 2);
                return;
            }
        }
        c.respond(data, data.length, alloc);
    }

    /** Whether this LU offers {@code d}: BLOCK ERASE only where the backend can deallocate. */
    private static boolean offered(LogicalUnit lu, CommandDescriptor d) {
        if (d.opcode() == SANITIZE && d.serviceAction() == SA_BLOCK_ERASE) {
            Geometry g = lu == null ? null : lu.geometry();
            return g == null || BlockLimits.unmapSupported(g);
        }
        return true;
    }

    private byte[] allCommands(LogicalUnit lu, boolean rctd) {
        List<CommandDescriptor> all = new ArrayList<>();
        for (CommandDescriptor d : table.all()) {
            if (offered(lu, d)) {
                all.add(d);
            }
        }
        int each = 8 + (rctd ? 12 : 0);
        ByteBuffer b = ByteBuffer.allocate(4 + each * all.size());
        b.putInt(each * all.size());
        for (CommandDescriptor d : all) {
            b.put((byte) d.opcode()).put((byte) 0);
            b.putShort((short) Math.max(d.serviceAction(), 0));
            b.put((byte) 0);
            b.put((byte) ((rctd ? 0x02 : 0) | (d.serviceAction() >= 0 ? 0x01 : 0)));
            b.putShort((short) usageOf(d).length);
            if (rctd) {
                timeouts(b, d);
            }
        }
        return b.array();
    }

    private static byte[] oneCommand(LogicalUnit lu, CommandDescriptor d, boolean rctd) {
        if (d == null || !offered(lu, d)) {
            return new byte[] {0, 0x01, 0, 0}; // SUPPORT 001b: not supported
        }
        byte[] usage = usageOf(d);
        ByteBuffer b = ByteBuffer.allocate(4 + usage.length + (rctd ? 12 : 0));
        b.put((byte) 0);
        b.put((byte) ((rctd ? 0x80 : 0) | 0x03)); // SUPPORT 011b: as the standard describes it
        b.putShort((short) usage.length);
        b.put(usage);
        if (rctd) {
            timeouts(b, d);
        }
        return b.array();
    }

    /**
     * The CDB USAGE DATA (SPC-4): the command's own map when its family published one,
     * else every bit of the CDB's length usable, the CONTROL byte as the core reports it, with the
     * SERVICE ACTION field holding the service action as the standard asks.
     */
    static byte[] usageOf(CommandDescriptor d) {
        if (d.cdbUsage() != null) {
            return d.cdbUsage().clone();
        }
        int len = CommandDescriptor.cdbLength(d.opcode());
        byte[] u = new byte[len == 0 ? 16 : len];
        Arrays.fill(u, 1, u.length - 1, (byte) 0xff);
        u[0] = (byte) d.opcode();
        u[u.length - 1] = 0x07; // LINK, FLAG, NACA are looked at (NACA = 1 is refused), as in the core's maps
        if (d.serviceAction() >= 0) {
            u[1] = (byte) (0xe0 | d.serviceAction());
        }
        return u;
    }

    /** Command timeouts descriptor (SPC-4): nominal unknown, recommended per command. */
    private static void timeouts(ByteBuffer b, CommandDescriptor d) {
        b.putShort((short) 0x0a).put((byte) 0).put((byte) 0);
        b.putInt(0);
        // SANITIZE runs as long as the medium is big: no recommendation is honest.
        b.putInt(d.opcode() == SANITIZE ? 0 : RECOMMENDED_TIMEOUT_SECONDS);
    }

    // ------------------------------------------------------------------ REPORT SUPPORTED TMFS

    /**
     * What {@link TaskManagement} implements: ABORT TASK, ABORT TASK SET, CLEAR TASK SET, LOGICAL
     * UNIT RESET, target resets, QUERY TASK, QUERY TASK SET, QUERY ASYNCHRONOUS EVENT, I_T NEXUS
     * RESET. CLEAR ACA is refused (NormACA = 0), so it is not reported.
     */
    private static void reportSupportedTmfs(Command c) {
        boolean repd = c.bit(2, 7);
        byte[] b = new byte[repd ? 16 : 4];
        b[0] = (byte) (0x80 | 0x40 | 0x10 | 0x08 | 0x04 | 0x02); // ATS ATSS CTSS LURS QTS TRS
        b[1] = (byte) (0x04 | 0x02 | 0x01); // QAES QTSS ITNRS
        if (repd) {
            b[3] = 0x0c; // ADDITIONAL DATA LENGTH; TMFTMOV = 0: no timeouts reported
        }
        c.respond(b, b.length, (int) Math.min(c.u32(6), Integer.MAX_VALUE));
    }

    // ------------------------------------------------------------------ READ DEFECT DATA

    /**
     * READ DEFECT DATA (SBC-3). Lunar's media have no defects: both lists exist and
     * are empty, so every defined address descriptor format can be reported as asked. The reserved
     * format 111b gets the empty list in short block format with RECOVERED ERROR, DEFECT LIST NOT
     * FOUND, as SBC-3 asks for a format the device server cannot return.
     */
    private static void readDefectData(Command c, int flags, long allocation, boolean twelve) {
        int format = flags & 0x07;
        boolean unsupported = format == 0x07;
        int listFlags = flags & 0x18; // PLISTV / GLISTV echo REQ_PLIST / REQ_GLIST
        byte[] b = new byte[twelve ? 8 : 4];
        b[1] = (byte) (listFlags | (unsupported ? 0 : format));
        int alloc = (int) Math.min(allocation, Integer.MAX_VALUE);
        if (unsupported) {
            c.sendDataIn(b, b.length, alloc);
            c.fail(SenseCodes.DEFECT_LIST_NOT_FOUND);
            return;
        }
        c.respond(b, b.length, alloc);
    }

    // ------------------------------------------------------------------ SANITIZE

    /** Sanitize state of one LU (SBC-3 sanitize operations): in progress, or failed until a good one or EXIT. */
    static final class SanitizeState {
        volatile boolean inProgress;
        volatile boolean failed;
        volatile boolean failedWithAuse;
        volatile long blocksDone;
        volatile long blocksTotal;

        SanitizeState(LogicalUnit lu) {
        }

        /** Progress as SBC-3's PROGRESS INDICATION wants it: 65536ths done. */
        int progress() {
            long total = blocksTotal;
            return total <= 0 ? 0 : (int) Math.min(0xffff, blocksDone * 65536 / total);
        }
    }

    /**
     * SBC-3 (sanitize operations): while a sanitize runs, only INQUIRY, REPORT LUNS and REQUEST
     * SENSE are served (the commands that also ignore unit attentions); everything else gets NOT
     * READY, SANITIZE IN PROGRESS. After a failed sanitize, medium access gets MEDIUM ERROR,
     * SANITIZE COMMAND FAILED until a sanitize succeeds or EXIT FAILURE MODE is accepted.
     */
    static boolean sanitizeGate(Command c) {
        SanitizeState s = c.lu().extensionIfPresent(SanitizeState.class);
        if (s == null || c.descriptor().has(NO_UNIT_ATTENTION)) {
            return true;
        }
        if (s.inProgress) {
            c.fail(sanitizeInProgress(s));
            return false;
        }
        if (s.failed && c.descriptor().has(MEDIUM) && c.opcode() != SANITIZE) {
            c.fail(SenseCodes.SANITIZE_COMMAND_FAILED);
            return false;
        }
        return true;
    }

    /**
     * NOT READY, SANITIZE IN PROGRESS with the PROGRESS INDICATION sense-key specific field
     * (SPC-4 sense-key specific data, progress indication: SKSV plus 65536ths done), or null when
     * no sanitize runs on {@code lu}. REQUEST SENSE and every refused command report this, so an
     * initiator polling a sanitize with IMMED = 1 sees it advance.
     */
    static Sense sanitizeInProgress(LogicalUnit lu) {
        SanitizeState s = lu.extensionIfPresent(SanitizeState.class);
        return s == null || !s.inProgress ? null : sanitizeInProgress(s);
    }

    private static Sense sanitizeInProgress(SanitizeState s) {
        Sense base = SenseCodes.NOT_READY_SANITIZE_IN_PROGRESS;
        return new Sense(base.key(), base.asc(), base.ascq(), -1, 0x800000 | (s.progress() & 0xffff));
    }

    /** Reserved bit 6 of byte 1 and reserved bytes 2..6 of the SANITIZE CDB. */
    private static boolean checkSanitizeCdb(Command c) {
        if (c.bit(1, 6)) {
            c.invalidField(1, 6);
            return false;
        }
        for (int i = 2; i <= 6; i++) {
            if (c.u8(i) != 0) {
                c.invalidField(i, -1);
                return false;
            }
        }
        return true;
    }

    private static void overwrite(Command c) {
        if (!checkSanitizeCdb(c)) {
            return;
        }
        int blockSize = c.geometry().blockSize();
        int length = c.u16(7);
        // SBC-3 OVERWRITE parameter list: a header and a pattern of 1 .. block size bytes.
        if (length <= OVERWRITE_HEADER || length > blockSize + OVERWRITE_HEADER) {
            c.invalidField(7, 7);
            return;
        }
        c.receiveParameterList(length, p -> {
            boolean invert = (p[0] & 0x80) != 0;
            int count = p[0] & 0x1f;
            int patternLength = ((p[2] & 0xff) << 8) | (p[3] & 0xff);
            if ((p[0] & 0x60) != 0) {
                c.invalidParameter(0, 6); // TEST
                return;
            }
            if (count == 0) {
                c.invalidParameter(0, 4);
                return;
            }
            if (patternLength == 0 || patternLength > blockSize || patternLength + OVERWRITE_HEADER != length) {
                c.invalidParameter(2, 7);
                return;
            }
            byte[] block = new byte[blockSize];
            for (int i = 0; i < blockSize; i++) {
                block[i] = p[OVERWRITE_HEADER + i % patternLength];
            }
            start(c, new Overwrite(block, count, invert));
        });
    }

    private static void blockErase(Command c) {
        if (!checkSanitizeCdb(c)) {
            return;
        }
        if (c.u16(7) != 0) {
            c.invalidField(7, 7);
            return;
        }
        if (!BlockLimits.unmapSupported(c.geometry())) {
            c.invalidField(1, 4);
            return;
        }
        start(c, new BlockErase());
    }

    private static void exitFailureMode(Command c) {
        if (!checkSanitizeCdb(c)) {
            return;
        }
        if (c.u16(7) != 0) {
            c.invalidField(7, 7);
            return;
        }
        SanitizeState s = c.lu().extension(SanitizeState.class, SanitizeState::new);
        if (s.failed && !s.failedWithAuse) {
            // SBC-3 SANITIZE: leaving failure mode needs AUSE = 1 in the sanitize that failed.
            c.invalidField(1, 4);
            return;
        }
        s.failed = false;
        c.good();
    }

    /**
     * How long a paced sanitize waits before its next I/O: the time {@code bytesDone} take at
     * {@code bytesPerSecond}, less the time already spent; 0 when unpaced or behind schedule.
     */
    static long pacingDelayNanos(long bytesDone, long elapsedNanos, long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            return 0;
        }
        long due = (long) (bytesDone * (1_000_000_000.0 / bytesPerSecond));
        return Math.max(0, due - elapsedNanos);
    }

    /** One way of sanitizing: a sequence of backend I/Os over the whole medium. */
    private interface Method {
        /** Issues the I/O at {@code lba} of pass {@code pass}; returns the blocks it covers. */
        long issue(BlockDevice dev, Geometry g, int pass, long lba, IoCompletion<Void> done);

        int passes();

        String name();

        /** Whether the LU's sanitize rate limits it (writing methods; an erase stays as fast as it is). */
        default boolean paced() {
            return false;
        }
    }

    private static final class Overwrite implements Method {
        private final byte[][] patterns = new byte[2][];
        private final int count;
        private final boolean invert;
        private byte[] chunk;
        private int chunkPass = -1;

        Overwrite(byte[] block, int count, boolean invert) {
            this.patterns[0] = block;
            byte[] inverted = block.clone();
            for (int i = 0; i < inverted.length; i++) {
                inverted[i] = (byte) ~inverted[i];
            }
            this.patterns[1] = inverted;
            this.count = count;
            this.invert = invert;
        }

        @Override
        public long issue(BlockDevice dev, Geometry g, int pass, long lba, IoCompletion<Void> done) {
            // INVERT: odd passes write the inverted pattern (SBC-3 OVERWRITE parameter list).
            byte[] block = patterns[invert && (pass & 1) == 1 ? 1 : 0];
            int per = Math.min(g.maxTransferBlocks(), BlockLimits.maxTransferBlocks(g));
            if (chunkPass != pass) {
                chunk = new byte[per * block.length];
                for (int i = 0; i < per; i++) {
                    System.arraycopy(block, 0, chunk, i * block.length, block.length);
                }
                chunkPass = pass;
            }
            int n = (int) Math.min(per, g.blockCount() - lba);
            DataBuffer data = DataBuffers.wrap(n == per ? chunk : Arrays.copyOf(chunk, n * block.length));
            // The backend borrows the buffer; it is ours to release once the write is done.
            dev.write(lba, data, false, new IoCompletion<>() {
                @Override
                public void completed(Void v) {
                    data.release();
                    done.completed(null);
                }

                @Override
                public void failed(Sense sense) {
                    data.release();
                    done.failed(sense);
                }
            });
            return n;
        }

        @Override
        public int passes() {
            return count;
        }

        @Override
        public String name() {
            return "OVERWRITE";
        }

        @Override
        public boolean paced() {
            return true;
        }
    }

    private static final class BlockErase implements Method {
        @Override
        public long issue(BlockDevice dev, Geometry g, int pass, long lba, IoCompletion<Void> done) {
            long n = Math.min(BlockLimits.maxUnmapBlocks(g), g.blockCount() - lba);
            dev.unmap(lba, n, done);
            return n;
        }

        @Override
        public int passes() {
            return 1;
        }

        @Override
        public String name() {
            return "BLOCK ERASE";
        }
    }

    /**
     * Runs a sanitize. It talks to the backend directly rather than through the {@link Command}:
     * a sanitize outlives its command (IMMED = 1 completes it at once) and, per SBC-3,
     * continues through aborts, resets and nexus loss. With IMMED = 0 the command completes when
     * the operation does, unless it was aborted meanwhile.
     */
    private static void start(Command c, Method method) {
        LogicalUnit lu = c.lu();
        SanitizeState s = lu.extension(SanitizeState.class, SanitizeState::new);
        BlockDevice dev = c.device();
        Geometry g = c.geometry();
        boolean immediate = c.bit(1, 7);
        boolean ause = c.bit(1, 5);
        boolean busy;
        synchronized (s) {
            busy = s.inProgress;
            if (!busy) {
                s.inProgress = true;
                s.blocksDone = 0;
                s.blocksTotal = g.blockCount() * method.passes();
            }
        }
        if (busy) {
            // Two sanitizes raced past the gate: the second one waits for nothing, it is refused.
            c.fail(SenseCodes.NOT_READY_SANITIZE_IN_PROGRESS);
            return;
        }
        LOG.info("{}: SANITIZE {} of {} blocks started ({} pass(es))", lu, method.name(), g.blockCount(),
                method.passes());
        if (immediate) {
            c.good();
        }
        new Run(lu, s, dev, g, method, immediate ? null : c, ause).start();
    }

    private static final class Run {
        private final LogicalUnit lu;
        private final SanitizeState state;
        private final BlockDevice dev;
        private final Geometry g;
        private final Method method;
        private final Command command;
        private final boolean ause;
        private StepLoop loop;
        private final long bytesPerSecond;
        private final long startNanos = System.nanoTime();
        // Touched only by steps, which the StepLoop orders.
        private int pass;
        private long lba;
        private volatile Sense failure;

        Run(LogicalUnit lu, SanitizeState state, BlockDevice dev, Geometry g, Method method, Command command,
                boolean ause) {
            this.lu = lu;
            this.state = state;
            this.dev = dev;
            this.g = g;
            this.method = method;
            this.command = command;
            this.ause = ause;
            this.bytesPerSecond = method.paced() ? lu.sanitizeBytesPerSecond() : 0;
        }

        void start() {
            loop = new StepLoop(this::step);
            loop.next();
        }

        private void step() {
            if (failure != null) {
                finish(failure);
                return;
            }
            if (lba >= g.blockCount()) {
                pass++;
                lba = 0;
                if (pass >= method.passes() || g.blockCount() == 0) {
                    finish(null);
                    return;
                }
            }
            long n = method.issue(dev, g, pass, lba, new IoCompletion<>() {
                @Override
                public void completed(Void v) {
                    long wait = pacingDelayNanos(state.blocksDone * g.blockSize(), System.nanoTime() - startNanos,
                            bytesPerSecond);
                    if (wait > 0) {
                        // The JDK's shared delay scheduler: no thread of ours outlives the bundle.
                        CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS).execute(loop::next);
                    } else {
                        loop.next();
                    }
                }

                @Override
                public void failed(Sense sense) {
                    failure = sense;
                    loop.next();
                }
            });
            lba += n;
            state.blocksDone = (long) pass * g.blockCount() + lba;
        }

        private void finish(Sense error) {
            synchronized (state) {
                state.inProgress = false;
                state.failed = error != null;
                state.failedWithAuse = error != null && ause;
            }
            if (error == null) {
                LOG.info("{}: SANITIZE {} completed", lu, method.name());
                if (command != null) {
                    command.good();
                }
            } else {
                LOG.warn("{}: SANITIZE {} failed ({}); the LU is in sanitize failure mode", lu, method.name(), error);
                if (command != null) {
                    command.fail(error);
                }
            }
        }
    }
}
