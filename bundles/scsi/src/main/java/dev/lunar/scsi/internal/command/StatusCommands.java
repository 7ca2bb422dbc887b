package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;
import static dev.lunar.scsi.internal.command.CommandTable.usage;
import static dev.lunar.scsi.internal.command.CommandFlag.NO_UNIT_ATTENTION;
import static dev.lunar.scsi.internal.command.CommandFlag.WITHOUT_LOGICAL_UNIT;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.sense.SenseEncoder;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.Sense;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unit state commands: TEST UNIT READY, REQUEST SENSE, START STOP UNIT, PREVENT ALLOW MEDIUM
 * REMOVAL, SYNCHRONIZE CACHE(10/16).
 */
final class StatusCommands {

    private static final Logger LOG = LoggerFactory.getLogger(StatusCommands.class);

    private StatusCommands() {
    }

    static void register(CommandTable t) {
        // SPC-4 §6.47: GOOD when the medium is accessible; the dispatcher's MEDIUM check answers
        // NOT READY otherwise, and pending unit attentions come first.
        t.add(0x00, "TEST UNIT READY", usage(0x00, 0, 0, 0, 0, 0x07), Command::good, MEDIUM);
        t.add(0x03, "REQUEST SENSE", usage(0x03, 0x01, 0, 0, 0xff, 0x07), StatusCommands::requestSense, NO_UNIT_ATTENTION, WITHOUT_LOGICAL_UNIT);
        t.add(0x1b, "START STOP UNIT", usage(0x1b, 0x01, 0, 0x0f, 0xf7, 0x07), StatusCommands::startStopUnit);
        t.add(0x1e, "PREVENT ALLOW MEDIUM REMOVAL", usage(0x1e, 0, 0, 0, 0x03, 0x07), StatusCommands::preventAllow);
        t.add(0x35, "SYNCHRONIZE CACHE(10)", usage(0x35, 0x02, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0x07), c -> synchronizeCache(c, c.u32(2), c.u16(7), c.bit(1, 1)), MEDIUM);
        t.add(0x91, "SYNCHRONIZE CACHE(16)", usage(0x91, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0, 0x07), c -> synchronizeCache(c, c.u64(2), c.u32(10), c.bit(1, 1)), MEDIUM);
        // SBC-3 PREVENT ALLOW MEDIUM REMOVAL: prevention ends with the I_T nexus and with resets.
        t.addListener(new LogicalUnitListener() {
            @Override
            public void nexusLost(LogicalUnit lu, ScsiNexus nexus) {
                MediumRemoval m = lu.extensionIfPresent(MediumRemoval.class);
                if (m != null) {
                    m.nexusLost(nexus.name());
                }
            }

            @Override
            public void reset(LogicalUnit lu) {
                MediumRemoval m = lu.extensionIfPresent(MediumRemoval.class);
                if (m != null) {
                    m.reset();
                }
            }
        });
    }

    /**
     * REQUEST SENSE (SPC-4 §6.29): iSCSI returns sense with the status (autosense), so the only
     * thing left to report is a pending unit attention, which this clears; otherwise NO SENSE, or
     * LOGICAL UNIT NOT SUPPORTED for an unmapped LUN, always with GOOD status. While a sanitize
     * runs it reports NOT READY, SANITIZE IN PROGRESS with the progress (SBC-3 sanitize operations:
     * REQUEST SENSE is how an initiator follows a SANITIZE with IMMED = 1).
     */
    private static void requestSense(Command c) {
        boolean desc = c.bit(1, 0);
        int alloc = c.u8(4);
        Sense s;
        if (c.lu() == null) {
            s = SenseCodes.LUN_NOT_SUPPORTED;
        } else {
            s = c.lu().unitAttentions().take(c.nexus().name());
            if (s == null) {
                s = MaintenanceCommands.sanitizeInProgress(c.lu());
            }
            if (s == null) {
                Sense notReady = c.lu().notReadySense();
                s = notReady != null ? notReady : SenseCodes.NO_SENSE;
            }
        }
        byte[] data = desc ? SenseEncoder.descriptor(s) : SenseEncoder.fixed(s);
        c.respond(data, data.length, alloc);
    }

    /**
     * START STOP UNIT (SBC-3 §5.25). A POWER CONDITION other than START_VALID(0) makes START and
     * LOEJ irrelevant. Stopping (START = 0) writes the volatile cache back unless NO_FLUSH is set;
     * the unit itself stays accessible, as a virtual disk has no spindle to stop. LOEJ = 1 ejects
     * (START = 0) or loads (START = 1) the medium of a removable LU; while any I_T nexus prevents
     * medium removal both are refused with MEDIUM REMOVAL PREVENTED (SBC-3 PREVENT ALLOW MEDIUM
     * REMOVAL: a prevented medium is neither ejected nor swapped). A fixed LU refuses LOEJ.
     */
    private static void startStopUnit(Command c) {
        int powerCondition = c.bits(4, 4, 4);
        boolean noFlush = c.bit(4, 2);
        boolean loej = c.bit(4, 1);
        boolean start = c.bit(4, 0);
        if (powerCondition != 0) {
            c.good();
            return;
        }
        LogicalUnit lu = c.lu();
        if (loej) {
            if (!lu.removable()) {
                c.invalidField(4, 1);
                return;
            }
            if (MediumRemoval.of(lu).prevented()) {
                c.fail(SenseCodes.MEDIUM_REMOVAL_PREVENTED);
                return;
            }
            if (start) {
                load(c, lu);
                return;
            }
            // Eject: write the cache back first (the medium leaves with its data on it).
            if (lu.device() != null && lu.mediumLoaded()) {
                c.flush(v -> {
                    lu.setMediumLoaded(false);
                    LOG.info("{}: medium ejected by {}", lu, c.nexus());
                    c.good();
                });
                return;
            }
            lu.setMediumLoaded(false);
            c.good();
            return;
        }
        if (!start && !noFlush && lu.device() != null && lu.mediumLoaded()) {
            c.flush(v -> c.good());
            return;
        }
        c.good();
    }

    /**
     * Loads the medium. The other I_T nexuses learn of it through NOT READY TO READY CHANGE,
     * MEDIUM MAY HAVE CHANGED (SBC-3 removable medium); the nexus that loaded it knows.
     */
    private static void load(Command c, LogicalUnit lu) {
        if (!lu.mediumLoaded()) {
            lu.setMediumLoaded(true);
            for (ScsiNexus n : c.nexus().target().nexuses()) {
                if (n != c.nexus()) {
                    lu.unitAttentions().establish(n.name(), SenseCodes.UA_MEDIUM_MAY_HAVE_CHANGED);
                }
            }
            LOG.info("{}: medium loaded by {}", lu, c.nexus());
        }
        c.good();
    }

    /**
     * PREVENT ALLOW MEDIUM REMOVAL (SBC-3 §5.12). On a removable LU, PREVENT = 01b records that
     * this I_T nexus prevents removal and 00b withdraws it; removal stays prevented while any
     * nexus prevents it, and the prevention of a nexus ends with that nexus (I_T nexus loss,
     * logout), with a LOGICAL UNIT RESET or a target reset (see {@link MediumRemoval}). On a fixed
     * LU there is nothing to prevent, so both are accepted. 10b and 11b are obsolete: refused.
     */
    private static void preventAllow(Command c) {
        int prevent = c.bits(4, 0, 2);
        if (prevent > 1) {
            c.invalidField(4, 1);
            return;
        }
        LogicalUnit lu = c.lu();
        if (lu.removable()) {
            MediumRemoval.of(lu).set(c.nexus().name(), prevent == 1);
        }
        c.good();
    }

    /** The I_T nexuses preventing medium removal on one LU. Thread safe. */
    static final class MediumRemoval {
        private final Set<String> preventing = ConcurrentHashMap.newKeySet();

        MediumRemoval(LogicalUnit lu) {
        }

        static MediumRemoval of(LogicalUnit lu) {
            return lu.extension(MediumRemoval.class, MediumRemoval::new);
        }

        boolean prevented() {
            return !preventing.isEmpty();
        }

        void set(String nexusName, boolean prevent) {
            if (prevent) {
                preventing.add(nexusName);
            } else {
                preventing.remove(nexusName);
            }
        }

        void nexusLost(String nexusName) {
            preventing.remove(nexusName);
        }

        void reset() {
            preventing.clear();
        }
    }

    /**
     * SYNCHRONIZE CACHE (SBC-3 §5.22/5.23): the range is checked, then the whole device is
     * flushed (no backend offers a ranged flush). With IMMED the status comes first and the flush
     * runs on; its failure then has nobody to go to, which SBC-3 accepts.
     */
    private static void synchronizeCache(Command c, long lba, long blocks, boolean immed) {
        long capacity = c.geometry().blockCount();
        // NUMBER OF LOGICAL BLOCKS 0 means "to the end of the medium".
        long n = blocks == 0 ? Math.max(0, capacity - lba) : blocks;
        if (!c.checkRange(lba, n)) {
            return;
        }
        if (immed) {
            c.device().flush(new IoCompletion<>() {
                @Override
                public void completed(Void result) {
                }

                @Override
                public void failed(Sense sense) {
                }
            });
            c.good();
            return;
        }
        c.flush(v -> c.good());
    }
}
