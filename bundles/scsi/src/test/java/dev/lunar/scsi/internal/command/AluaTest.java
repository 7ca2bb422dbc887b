package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.target.PortGroups;
import dev.lunar.scsi.internal.target.PortGroups.AccessState;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Target port groups from portal tpgts: RTPG, standby/unavailable admission, UA on change. */
class AluaTest {

    private static final int[] RTPG = {0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    private static final int[] TUR = {0, 0, 0, 0, 0, 0};
    private static final int[] READ10 = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    private static final int[] INQUIRY = {0x12, 0, 0, 0, 96, 0};
    private static final int[] MODE_SENSE6 = {0x1a, 0, 0x3f, 0, 255, 0};
    private static final int[] REPORT_LUNS = {0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};

    private final ScsiHarness h = new ScsiHarness();
    private final PortGroups groups = h.core.portGroups();

    /** A nexus of a second initiator through target portal group {@code tpgt}, UAs consumed. */
    private ScsiNexus nexusThrough(int tpgt) {
        ScsiNexus n = h.core.openNexus(ScsiHarness.TARGET, ScsiHarness.INITIATOR2,
                ScsiHarness.TARGET + ",t,0x" + Integer.toHexString(tpgt), tpgt, false);
        h.clearUnitAttentions(n);
        return n;
    }

    private TestPort run(ScsiNexus n, int... cdb) {
        return h.send(n, 0, TaskAttribute.SIMPLE, null, 1 << 20, ScsiHarness.cdb(cdb));
    }

    @Test
    void reportTargetPortGroupsListsEveryConfiguredGroupWithItsStateAndPort() {
        groups.put("east", 1, AccessState.ACTIVE_OPTIMIZED);
        groups.put("west", 2, AccessState.STANDBY);
        TestPort p = h.run(RTPG);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(4 + 2 * 12, p.dataIn().length);
        assertEquals(24, b.getInt(0), "RETURN DATA LENGTH");
        // group 1: PREF clear, active/optimized, AO/AN/S/U supported, one port: relative id 1
        assertEquals(0x00, b.get(4) & 0xff);
        assertEquals(0x0f, b.get(5) & 0xff);
        assertEquals(1, b.getShort(6));
        assertEquals(1, b.get(11));
        assertEquals(1, b.getShort(14));
        // group 2: standby, relative port 2
        assertEquals(0x02, b.get(16) & 0xff);
        assertEquals(0x0f, b.get(17) & 0xff);
        assertEquals(2, b.getShort(18));
        assertEquals(1, b.get(23));
        assertEquals(2, b.getShort(26));
    }

    @Test
    void vpd83TargetPortGroupAndRelativePortAreTheTpgt() {
        ScsiNexus n = nexusThrough(2);
        TestPort p = run(n, 0x12, 1, 0x83, 0, 255, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        int relative = -1;
        int group = -1;
        for (int o = 4; o + 4 <= d.length; o += 4 + (d[o + 3] & 0xff)) {
            int type = d[o + 1] & 0x0f;
            int value = ByteBuffer.wrap(d, o + 4, 4).getInt();
            if (type == 0x4) {
                relative = value & 0xffff;
            } else if (type == 0x5) {
                group = value & 0xffff;
            }
        }
        assertEquals(2, relative);
        assertEquals(2, group);
    }

    @Test
    void standbyAnswersMediumCommandsNotReadyButAllowsInquiryModeSenseAndRtpg() {
        groups.put("east", 1, AccessState.STANDBY);
        h.run(TUR).assertCheckCondition(0x6, 0x2a, 0x06); // the change first
        h.run(TUR).assertCheckCondition(0x2, 0x04, 0x0b);
        h.run(READ10).assertCheckCondition(0x2, 0x04, 0x0b);
        h.run(INQUIRY).assertGood();
        h.run(MODE_SENSE6).assertGood();
        h.run(RTPG).assertGood();
    }

    @Test
    void unavailableAllowsLessThanStandby() {
        groups.put("east", 1, AccessState.UNAVAILABLE);
        h.clearUnitAttentions(h.nexus);
        h.run(MODE_SENSE6).assertCheckCondition(0x2, 0x04, 0x0c);
        h.run(READ10).assertCheckCondition(0x2, 0x04, 0x0c);
        h.run(INQUIRY).assertGood();
        h.run(REPORT_LUNS).assertGood();
        h.run(RTPG).assertGood();
    }

    @Test
    void activeNonOptimizedRunsEverything() {
        groups.put("east", 1, AccessState.ACTIVE_NON_OPTIMIZED);
        h.clearUnitAttentions(h.nexus);
        h.run(READ10).assertGood();
        TestPort p = h.run(RTPG);
        assertEquals(0x01, p.dataIn()[4] & 0x0f);
    }

    @Test
    void aChangeRaisesTheUnitAttentionOnlyThroughTheChangedGroup() {
        groups.put("east", 1, AccessState.ACTIVE_OPTIMIZED);
        groups.put("west", 2, AccessState.ACTIVE_OPTIMIZED);
        ScsiNexus west = nexusThrough(2);
        h.run(TUR).assertGood(); // configuring group 1 as active/optimized changed nothing
        groups.put("west", 2, AccessState.ACTIVE_NON_OPTIMIZED);
        h.run(TUR).assertGood();
        run(west, TUR).assertCheckCondition(0x6, 0x2a, 0x06);
        run(west, TUR).assertGood();
        groups.put("west", 2, AccessState.ACTIVE_NON_OPTIMIZED); // same state again: no UA
        run(west, TUR).assertGood();
    }

    @Test
    void disagreeingPortalsOfOneGroupGiveTheMostRestrictiveState() {
        groups.put("a", 1, AccessState.ACTIVE_OPTIMIZED);
        groups.put("b", 1, AccessState.UNAVAILABLE);
        groups.put("c", 1, AccessState.STANDBY);
        assertEquals(AccessState.UNAVAILABLE, groups.state(1));
        groups.remove("b");
        assertEquals(AccessState.STANDBY, groups.state(1));
        groups.remove("c");
        assertEquals(AccessState.ACTIVE_OPTIMIZED, groups.state(1));
        assertEquals(AccessState.ACTIVE_OPTIMIZED, groups.state(7), "an unconfigured group is active/optimized");
    }
}
