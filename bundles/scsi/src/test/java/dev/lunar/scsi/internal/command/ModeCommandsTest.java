package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ModeCommandsTest {

    private final ScsiHarness h = new ScsiHarness();

    /** Finds a page_0 page in MODE SENSE(6) data; returns its offset or -1. */
    private static int findPage(byte[] d, int headerLen, int bdLen, int page) {
        for (int p = headerLen + bdLen; p < d.length; ) {
            boolean spf = (d[p] & 0x40) != 0;
            int len = spf ? 4 + (((d[p + 2] & 0xff) << 8) | (d[p + 3] & 0xff)) : 2 + (d[p + 1] & 0xff);
            if ((d[p] & 0x3f) == page && !spf) {
                return p;
            }
            p += len;
        }
        return -1;
    }

    @Test
    void modeSense6AllPagesWithBlockDescriptor() {
        TestPort p = h.run(0x1a, 0, 0x3f, 0, 255, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(d.length - 1, d[0] & 0xff, "mode data length");
        assertEquals(0x10, d[2] & 0x90, "DPOFUA set, WP clear");
        assertEquals(8, d[3]);
        ByteBuffer bd = ByteBuffer.wrap(d, 4, 8);
        assertEquals(1024, bd.getInt(4));
        assertEquals(512, bd.getInt(8) & 0xffffff);
        for (int page : new int[] {0x01, 0x08, 0x0a, 0x1a, 0x1c}) {
            assertTrue(findPage(d, 4, 8, page) > 0, "page " + page);
        }
    }

    @Test
    void modeSense10LongLbaAndDbd() {
        TestPort p = h.run(0x5a, 0x10, 0x0a, 0, 0, 0, 0, 0x01, 0, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(16, ((d[6] & 0xff) << 8) | (d[7] & 0xff));
        assertEquals(1, d[4] & 1, "LONGLBA");
        assertEquals(1024, ByteBuffer.wrap(d).getLong(8));
        TestPort noBd = h.run(0x5a, 0x08, 0x0a, 0, 0, 0, 0, 0x01, 0, 0);
        assertEquals(0, noBd.dataIn()[7]);
        assertEquals(0x0a, noBd.dataIn()[8] & 0x3f);
    }

    @Test
    void controlPageValuesAreSane() {
        byte[] d = h.run(0x1a, 0x08, 0x0a, 0, 255, 0).dataIn();
        int p = 4;
        assertTrue(((d[p + 2] >> 5) & 7) <= 1, "TST 0 or 1");
        int qam = (d[p + 3] >> 4) & 0xf;
        assertTrue(qam <= 1 || qam > 7, "QAM 0, 1 or >7");
        assertTrue(((d[p + 3] >> 1) & 3) != 2, "QERR not 2");
        assertTrue((((d[p + 8] & 0xff) << 8) | (d[p + 9] & 0xff)) != 0, "busy timeout period given");
    }

    @Test
    void unknownPageIsInvalidField() {
        h.run(0x1a, 0, 0x05, 0, 255, 0).assertInvalidField(2, 5);
    }

    @Test
    void changeableValuesShowDsenseSwpAndWce() {
        TestPort p = h.run(0x1a, 0x08, 0x40 | 0x0a, 0, 255, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(0x04, d[4 + 2] & 0x04, "D_SENSE changeable");
        assertEquals(0x08, d[4 + 4] & 0x08, "SWP changeable");
        byte[] c = h.run(0x1a, 0x08, 0x40 | 0x08, 0, 255, 0).dataIn();
        assertEquals(0x04, c[4 + 2] & 0x04, "WCE changeable");
    }

    /** A MODE SELECT(6) list with the current Control page (as MODE SENSE returns it), changed. */
    private byte[] controlPageSelect(int byte2, int byte4) {
        byte[] current = h.run(0x1a, 0x08, 0x0a, 0, 255, 0).dataIn();
        byte[] list = new byte[4 + 12];
        System.arraycopy(current, 4, list, 4, 12);
        list[4 + 2] = (byte) byte2;
        list[4 + 4] = (byte) byte4;
        return list;
    }

    @Test
    void modeSelectSetsSwpAndOtherNexusesSeeModeParametersChanged() {
        ScsiNexus other = h.secondNexus();
        byte[] list = controlPageSelect(0x02, 0x08);
        h.runOut(list, 0x15, 0x10, 0, 0, list.length, 0).assertGood();
        assertTrue(h.lu.modePages().softwareWriteProtect());
        h.runOut(new byte[512], 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertCheckCondition(0x7, 0x27, 0x00);
        byte[] sense = h.run(0x1a, 0, 0x0a, 0, 255, 0).dataIn();
        assertEquals(0x80, sense[2] & 0x80, "WP in the device-specific parameter");
        h.send(other, 0, TaskAttribute.SIMPLE, null, 0, ScsiHarness.cdb(0, 0, 0, 0, 0, 0))
                .assertCheckCondition(0x6, 0x2a, 0x01);
        h.run(0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void modeSelectDsenseSwitchesSenseFormat() {
        byte[] list = controlPageSelect(0x06, 0);
        h.runOut(list, 0x15, 0x10, 0, 0, list.length, 0).assertGood();
        TestPort bad = h.run(0x28, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0);
        assertEquals(0x72, bad.sense()[0]);
    }

    @Test
    void modeSelectRefusesUnchangeableBitsWithAPointer() {
        byte[] list = controlPageSelect(0x02 | 0x20, 0); // TST changed
        TestPort p = h.runOut(list, 0x15, 0x10, 0, 0, list.length, 0);
        p.assertCheckCondition(0x5, 0x26, 0x00);
        int sks = p.senseKeySpecific();
        assertEquals(0x80, (sks >>> 16) & 0xc0, "SKSV, C/D = 0 (parameter list)");
        assertEquals(6, sks & 0xffff);
        assertFalse(h.lu.modePages().softwareWriteProtect());
    }

    @Test
    void modeSelectSavePagesIsRefused() {
        byte[] list = controlPageSelect(0x02, 0);
        h.runOut(list, 0x15, 0x11, 0, 0, list.length, 0).assertInvalidField(1, 0);
    }

    @Test
    void modeSelectWrongPageLengthAndUnknownPage() {
        byte[] list = controlPageSelect(0x02, 0);
        list[5] = 0x08;
        h.runOut(list, 0x15, 0x10, 0, 0, list.length, 0).assertCheckCondition(0x5, 0x26, 0x00);
        byte[] unknown = new byte[4 + 4];
        unknown[4] = 0x05;
        unknown[5] = 0x02;
        h.runOut(unknown, 0x15, 0x10, 0, 0, unknown.length, 0).assertCheckCondition(0x5, 0x26, 0x00);
        h.runOut(new byte[2], 0x15, 0x10, 0, 0, 2, 0).assertCheckCondition(0x5, 0x1a, 0x00);
    }

    @Test
    void modeSelectCachingReachesTheBackend() {
        byte[] list = new byte[8 + 20];
        list[7] = 0; // MODE SELECT(10) header, no block descriptor
        list[8] = 0x08;
        list[9] = 0x12;
        list[8 + 2] = 0x04; // WCE
        h.runOut(list, 0x55, 0x10, 0, 0, 0, 0, 0, 0, list.length, 0).assertGood();
        assertTrue(h.device.geometry().writeCache());
        assertTrue(h.lu.modePages().writeCacheEnabled());
    }

    @Test
    void modeSelectBlockDescriptorMustKeepTheBlockLength() {
        byte[] list = new byte[4 + 8];
        list[3] = 8;
        ByteBuffer.wrap(list, 8, 4).putInt(4096);
        h.runOut(list, 0x15, 0x10, 0, 0, list.length, 0).assertCheckCondition(0x5, 0x26, 0x00);
        ByteBuffer.wrap(list, 8, 4).putInt(512);
        h.runOut(list, 0x15, 0x10, 0, 0, list.length, 0).assertGood();
    }
}
