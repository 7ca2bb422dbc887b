package dev.lunar.scsi.internal.target;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.TaskAttribute;
import dev.lunar.spi.scsi.TaskManagementFunction;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import dev.lunar.spi.scsi.TmfResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ACL entries on a target: LUN masking and read-only per nexus, applied live (SPC-4 §6.33). */
class AccessControlTest {

    private static final String INIT1 = "iqn.2026-01.dev.lunar:init";
    private static final String INIT2 = "iqn.2026-01.dev.lunar:init2";
    private static final byte[] TUR = cdb(0, 0, 0, 0, 0, 0);
    private static final byte[] REPORT_LUNS = cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0);
    private static final byte[] INQUIRY = cdb(0x12, 0, 0, 0, 96, 0);
    private static final byte[] MODE_SENSE6 = cdb(0x1a, 0, 0x3f, 0, 255, 0);
    private static final byte[] WRITE10 = cdb(0x2a, 0, 0, 0, 0, 3, 0, 0, 1, 0);

    private ScsiHarness h;
    private ScsiTarget target;
    private long liveBefore;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        h = new ScsiHarness();
        for (int lun = 1; lun <= 2; lun++) {
            LogicalUnit lu = new LogicalUnit("lun" + lun, ScsiHarness.TARGET, lun, "memory", 64, null);
            lu.attach(new MemoryBlockDevice(MemoryBlockDevice.geometry(64, 16)));
            h.core.addLogicalUnit(lu);
        }
        target = h.nexus.target();
        clearAll(h.nexus);
    }

    @AfterEach
    void noLeaks() {
        assertEquals(liveBefore, BufferLeakDetector.live(), "buffers leaked");
    }

    private TestPort send(ScsiNexus n, int lun, byte[] cdb) {
        return h.send(n, lun, TaskAttribute.SIMPLE, null, 4096, cdb);
    }

    private TestPort write(ScsiNexus n, int lun) {
        return h.send(n, lun, TaskAttribute.SIMPLE, new byte[512], 0, WRITE10);
    }

    /** TEST UNIT READY on every LUN until none reports a unit attention. */
    private void clearAll(ScsiNexus n) {
        for (int lun = 0; lun <= 2; lun++) {
            for (int i = 0; i < 20; i++) {
                TestPort p = send(n, lun, TUR);
                if (p.status() != ScsiStatus.CHECK_CONDITION || p.senseKey() != 0x6) {
                    break;
                }
            }
        }
    }

    private List<Integer> reportedLuns(ScsiNexus n) {
        TestPort p = send(n, 0, REPORT_LUNS);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        List<Integer> luns = new ArrayList<>();
        for (int i = 0; i < b.getInt(0) / 8; i++) {
            luns.add(ScsiTarget.decodeLun(b.getLong(8 + 8 * i)));
        }
        return luns;
    }

    private static AccessGrant grant(String config, String initiator, String luns, boolean readOnly) {
        return new AccessGrant(config, initiator, AccessGrant.parseLuns(luns), readOnly);
    }

    private static boolean modeSenseWp(TestPort p) {
        p.assertGood();
        return (p.dataIn()[2] & 0x80) != 0;
    }

    @Test
    void withoutAclEveryInitiatorSeesEveryLun() {
        assertSame(AccessGrant.OPEN, target.access(AccessGrant.key(INIT1)));
        assertEquals(List.of(0, 1, 2), reportedLuns(h.nexus));
        ScsiNexus other = h.secondNexus();
        clearAll(other);
        assertEquals(List.of(0, 1, 2), reportedLuns(other));
    }

    @Test
    void reportLunsListsOnlyTheGrantedLuns() {
        target.putGrant(grant("a", INIT1, "0,2", false));
        assertEquals(List.of(0, 2), reportedLuns(h.nexus));
    }

    @Test
    void maskedLunAnswersLikeAnUnmappedOne() {
        target.putGrant(grant("a", INIT1, " 0 , 2 ", false));
        send(h.nexus, 1, TUR).assertCheckCondition(0x5, 0x25, 0x00);
        send(h.nexus, 7, TUR).assertCheckCondition(0x5, 0x25, 0x00);
        TestPort masked = send(h.nexus, 1, INQUIRY);
        masked.assertGood();
        TestPort unmapped = send(h.nexus, 7, INQUIRY);
        assertEquals(0x7f, masked.dataIn()[0] & 0xff, "peripheral qualifier 011b, SPC-4 §6.6.2");
        assertEquals(unmapped.dataIn()[0], masked.dataIn()[0]);
        TestPort visible = send(h.nexus, 2, INQUIRY);
        assertEquals(0x00, visible.dataIn()[0] & 0xff);
        write(h.nexus, 1).assertCheckCondition(0x5, 0x25, 0x00);
        assertNull(h.nexus.lookup(ScsiTarget.encodeLun(1)));
    }

    @Test
    void taskManagementOnAMaskedLunFindsNoLogicalUnit() {
        target.putGrant(grant("a", INIT1, "0", false));
        AtomicReference<TmfResponse> r = new AtomicReference<>();
        h.nexus.manage(new TmfRequest(TaskManagementFunction.LOGICAL_UNIT_RESET, ScsiTarget.encodeLun(2), 9), r::set);
        assertEquals(TmfResult.INCORRECT_LOGICAL_UNIT_NUMBER, r.get().result());
    }

    @Test
    void unlistedInitiatorOfARestrictedTargetSeesNothing() {
        ScsiNexus other = h.secondNexus();
        clearAll(other);
        target.putGrant(grant("a", INIT1, null, false));
        assertEquals(List.of(), reportedLuns(other));
        send(other, 0, TUR).assertCheckCondition(0x5, 0x25, 0x00);
        assertEquals(List.of(0, 1, 2), reportedLuns(h.nexus), "the listed initiator sees every LUN (luns absent)");
    }

    @Test
    void initiatorNamesCompareCaseInsensitively() {
        target.putGrant(grant("a", INIT1.toUpperCase(java.util.Locale.ROOT), "1", false));
        assertEquals(List.of(1), reportedLuns(h.nexus));
    }

    @Test
    void readOnlyGrantWriteProtectsEveryLunForThatNexusOnly() {
        ScsiNexus other = h.secondNexus();
        target.putGrant(grant("a", INIT1, null, true));
        target.putGrant(grant("b", INIT2, null, false));
        clearAll(other);
        clearAll(h.nexus);
        write(h.nexus, 0).assertCheckCondition(0x7, 0x27, 0x00);
        write(h.nexus, 2).assertCheckCondition(0x7, 0x27, 0x00);
        write(other, 0).assertGood();
        assertTrue(modeSenseWp(send(h.nexus, 0, MODE_SENSE6)), "MODE SENSE WP=1 for the read-only nexus");
        assertFalse(modeSenseWp(send(other, 0, MODE_SENSE6)), "WP=0 for the other");
        send(h.nexus, 0, cdb(0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0)).assertGood();
        assertTrue(h.nexus.readOnly());
    }

    @Test
    void readOnlyChangeAppliesToTheNextCommandAfterModeParametersChanged() {
        target.putGrant(grant("a", INIT1, null, false));
        clearAll(h.nexus);
        write(h.nexus, 0).assertGood();
        target.putGrant(grant("a", INIT1, null, true));
        write(h.nexus, 0).assertCheckCondition(0x6, 0x2a, 0x01);
        write(h.nexus, 0).assertCheckCondition(0x7, 0x27, 0x00);
        send(h.nexus, 2, TUR).assertCheckCondition(0x6, 0x2a, 0x01);
        target.putGrant(grant("a", INIT1, null, false));
        write(h.nexus, 0).assertCheckCondition(0x6, 0x2a, 0x01);
        write(h.nexus, 0).assertGood();
    }

    @Test
    void changedLunSetRaisesReportedLunsDataHasChangedOnTheVisibleLuns() {
        target.putGrant(grant("a", INIT1, "0", false));
        // the nexus saw 0,1,2 before: its set changed
        send(h.nexus, 0, TUR).assertCheckCondition(0x6, 0x3f, 0x0e);
        send(h.nexus, 0, TUR).assertGood();
        target.putGrant(grant("a", INIT1, "0,1", false));
        send(h.nexus, 1, TUR).assertCheckCondition(0x6, 0x3f, 0x0e);
        send(h.nexus, 0, TUR).assertCheckCondition(0x6, 0x3f, 0x0e);
        send(h.nexus, 1, TUR).assertGood();
        assertEquals(List.of(0, 1), reportedLuns(h.nexus));
        // same set again, same write protection: no unit attention
        target.putGrant(grant("a", INIT1, "1,0", false));
        send(h.nexus, 0, TUR).assertGood();
    }

    @Test
    void aLunAddedOrRemovedOutsideANexusViewRaisesNothingThere() {
        target.putGrant(grant("a", INIT1, "0", false));
        clearAll(h.nexus);
        LogicalUnit lu3 = new LogicalUnit("lun3", ScsiHarness.TARGET, 3, "memory", 64, null);
        lu3.attach(new MemoryBlockDevice(MemoryBlockDevice.geometry(64, 16)));
        h.core.addLogicalUnit(lu3);
        send(h.nexus, 0, TUR).assertGood();
        h.core.removeLogicalUnit(lu3, 1000);
        send(h.nexus, 0, TUR).assertGood();
        // a LUN this nexus may see does change its inventory
        target.putGrant(grant("a", INIT1, "0,3", false));
        clearAll(h.nexus);
        LogicalUnit again = new LogicalUnit("lun3", ScsiHarness.TARGET, 3, "memory", 64, null);
        again.attach(new MemoryBlockDevice(MemoryBlockDevice.geometry(64, 16)));
        h.core.addLogicalUnit(again);
        send(h.nexus, 0, TUR).assertCheckCondition(0x6, 0x3f, 0x0e);
        h.core.removeLogicalUnit(again, 1000);
    }

    @Test
    void otherNexusesGetNoUnitAttentionWhenTheirViewStaysTheSame() {
        ScsiNexus other = h.secondNexus();
        target.putGrant(grant("b", INIT2, null, false));
        clearAll(other);
        target.putGrant(grant("a", INIT1, "2", false));
        send(other, 0, TUR).assertGood();
    }

    @Test
    void removingTheLastGrantOpensTheTargetAgain() {
        target.putGrant(grant("a", INIT1, "0", false));
        clearAll(h.nexus);
        target.removeGrant("a");
        assertSame(AccessGrant.OPEN, target.access(AccessGrant.key(INIT1)));
        send(h.nexus, 0, TUR).assertCheckCondition(0x6, 0x3f, 0x0e);
        assertEquals(List.of(0, 1, 2), reportedLuns(h.nexus));
        assertTrue(target.grants().isEmpty());
    }

    @Test
    void firstConfigurationByNameWinsForTheSameInitiator() {
        target.putGrant(grant("zeta", INIT1, "2", false));
        target.putGrant(grant("alpha", INIT1, "1", true));
        assertEquals(List.of(1), reportedLuns(h.nexus));
        target.removeGrant("alpha");
        assertEquals(List.of(2), reportedLuns(h.nexus));
    }

    @Test
    void lunListsParseOrSayWhatIsWrong() {
        assertNull(AccessGrant.parseLuns(null));
        assertNull(AccessGrant.parseLuns("  "));
        assertEquals(new TreeSet<>(Set.of(0, 3, 300)), AccessGrant.parseLuns("3, 0,300,"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AccessGrant.parseLuns("0,x"));
        assertTrue(e.getMessage().contains("'x'"));
        assertThrows(IllegalArgumentException.class, () -> AccessGrant.parseLuns("16384"));
        assertThrows(IllegalArgumentException.class, () -> AccessGrant.parseLuns("-1"));
    }
}
