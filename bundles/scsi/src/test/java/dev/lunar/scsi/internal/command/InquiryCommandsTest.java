package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.lun.LunIdentity;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import dev.lunar.spi.backend.Geometry;
import org.junit.jupiter.api.Test;

class InquiryCommandsTest {

    private final ScsiHarness h = new ScsiHarness();

    private byte[] vpd(int page) {
        TestPort p = h.run(0x12, 1, page, 0x10, 0, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(page, d[1] & 0xff);
        assertEquals(d.length, 4 + ((d[2] & 0xff) << 8 | (d[3] & 0xff)), "page length matches the data");
        return d;
    }

    @Test
    void standardInquiry() {
        TestPort p = h.run(0x12, 0, 0, 0, 255, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(0x00, d[0], "qualifier 0, direct access");
        assertEquals(0x06, d[2], "SPC-4");
        assertEquals(0x02, d[3] & 0x0f, "response data format 2");
        assertEquals(d.length - 5, d[4] & 0xff, "additional length");
        assertEquals(0x10, d[5] & 0x30, "TPGS 01b: implicit ALUA");
        assertEquals(0x02, d[7] & 0x02, "CMDQUE");
        assertEquals("LUNAR   ", new String(d, 8, 8, StandardCharsets.US_ASCII));
        List<Integer> versions = new ArrayList<>();
        for (int i = 58; i < 74; i += 2) {
            versions.add((d[i] & 0xff) << 8 | (d[i + 1] & 0xff));
        }
        assertTrue(versions.containsAll(List.of(0x00a0, 0x0460, 0x04c0, 0x0960)), versions.toString());
        assertEquals(d.length, p.transferLengthSet());
    }

    @Test
    void allocationLengthTruncatesWithoutError() {
        TestPort p = h.run(0x12, 0, 0, 0, 5, 0);
        p.assertGood();
        assertEquals(5, p.dataIn().length);
        assertEquals(5, p.transferLengthSet());
        TestPort zero = h.run(0x12, 0, 0, 0, 0, 0);
        zero.assertGood();
        assertEquals(0, zero.dataIn().length);
    }

    @Test
    void cmddtAndPageWithoutEvpdAreInvalid() {
        h.run(0x12, 0x02, 0, 0, 255, 0).assertInvalidField(1, 1);
        h.run(0x12, 0, 0x80, 0, 255, 0).assertInvalidField(2, -1);
        h.run(0x12, 1, 0x42, 0, 255, 0).assertInvalidField(2, -1);
    }

    @Test
    void supportedPagesListsEveryPageAndEachAnswers() {
        byte[] d = vpd(0x00);
        List<Integer> pages = new ArrayList<>();
        for (int i = 4; i < d.length; i++) {
            pages.add(d[i] & 0xff);
        }
        assertTrue(pages.containsAll(List.of(0x00, 0x80, 0x83, 0x86, 0x87, 0x88, 0xb0, 0xb1, 0xb2)), pages.toString());
        for (int i = 1; i < pages.size(); i++) {
            assertTrue(pages.get(i - 1) < pages.get(i), "ascending order");
        }
        for (int page : pages) {
            vpd(page);
        }
    }

    @Test
    void familiesCanAddVpdPages() {
        CommandTable t = new CommandTable();
        StatusCommands.register(t);
        InquiryCommands.register(t);
        t.addVpdPage(0x8f, (c, lu) -> new byte[] {1, 2, 3});
        ScsiHarness x = new ScsiHarness(t, dev.lunar.scsi.internal.MemoryBlockDevice.geometry(64, 8));
        byte[] list = x.run(0x12, 1, 0, 0, 255, 0).dataIn();
        assertEquals(0x8f, list[4 + 6] & 0xff, "listed in ascending order");
        TestPort p = x.run(0x12, 1, 0x8f, 0, 255, 0);
        p.assertGood();
        assertArrayEquals(new byte[] {0, (byte) 0x8f, 0, 3, 1, 2, 3}, p.dataIn());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> t.addVpdPage(0x8f, (c, lu) -> new byte[0]));
    }

    @Test
    void serialNumberIsStablePerLunName() {
        byte[] d = vpd(0x80);
        String serial = new String(d, 4, d.length - 4, StandardCharsets.US_ASCII);
        assertEquals(LunIdentity.of(ScsiHarness.TARGET, "lun0").serial(), serial);
        ScsiHarness again = new ScsiHarness();
        byte[] d2 = again.run(0x12, 1, 0x80, 0, 255, 0).dataIn();
        assertEquals(serial, new String(d2, 4, d2.length - 4, StandardCharsets.US_ASCII), "same name, same serial");
    }

    @Test
    void deviceIdentificationHasNaaT10PortGroupAndNames() {
        byte[] d = vpd(0x83);
        boolean naa = false;
        boolean t10 = false;
        boolean relPort = false;
        boolean tpg = false;
        boolean portName = false;
        for (int p = 4; p < d.length; p += 4 + (d[p + 3] & 0xff)) {
            int codeSet = d[p] & 0x0f;
            int assoc = (d[p + 1] >> 4) & 0x3;
            int type = d[p + 1] & 0x0f;
            int len = d[p + 3] & 0xff;
            if (type == 3 && assoc == 0) {
                naa = true;
                assertEquals(8, len);
                assertEquals(0x3, (d[p + 4] >> 4) & 0xf, "NAA locally assigned");
                byte[] value = java.util.Arrays.copyOfRange(d, p + 4, p + 12);
                assertArrayEquals(h.lu.identity().naa(), value);
            } else if (type == 1) {
                t10 = true;
                assertEquals(2, codeSet);
            } else if (type == 4) {
                relPort = true;
                assertEquals(1, ByteBuffer.wrap(d, p + 4, 4).getInt());
                assertEquals(0x80, d[p + 1] & 0x80, "PIV");
            } else if (type == 5) {
                tpg = true;
            } else if (type == 8 && assoc == 1) {
                portName = true;
                assertEquals(0, len % 4, "SCSI name string padded to 4");
                String name = new String(d, p + 4, len, StandardCharsets.UTF_8);
                assertTrue(name.startsWith(ScsiHarness.TARGET_PORT + "\0"), name);
            }
        }
        assertTrue(naa && t10 && relPort && tpg && portName);
    }

    @Test
    void naaDependsOnTheConfigurationNameNotTheBackend() {
        LunIdentity a = LunIdentity.of("iqn.x", "disk1");
        assertArrayEquals(a.naa(), LunIdentity.of("iqn.x", "disk1").naa());
        assertTrue(!java.util.Arrays.equals(a.naa(), LunIdentity.of("iqn.x", "disk2").naa()));
    }

    @Test
    void blockLimitsPage() {
        byte[] d = vpd(0xb0);
        assertEquals(0x3c, d[3] & 0xff);
        ByteBuffer b = ByteBuffer.wrap(d);
        assertEquals(BlockLimits.MAX_TRANSFER_BYTES / 512, b.getInt(8), "MAXIMUM TRANSFER LENGTH");
        // Without UNMAP registered (advanced commands), the unmap fields must be zero.
        if (!h.core.table().supports(0x42)) {
            assertEquals(0, b.getInt(20));
            assertEquals(0, b.getInt(24));
        } else {
            assertTrue(b.getInt(20) > 0 && b.getInt(20) <= 1 << 20);
            assertTrue(b.getInt(24) > 0);
        }
    }

    @Test
    void blockDeviceCharacteristicsReportsRotationRate() {
        byte[] d = vpd(0xb1);
        assertEquals(1, ((d[4] & 0xff) << 8) | (d[5] & 0xff), "non-rotating");
    }

    @Test
    void blockDeviceCharacteristicsSaysReadsAfterBlockEraseSucceed() {
        assertEquals(0x40, vpd(0xb1)[7] & 0xc0, "WABEREQ 01b where BLOCK ERASE deallocates");
        Geometry thick = new Geometry(512, 1024, 0, 16, 0, 0, 0, 0, false, false, false, 1);
        ScsiHarness thickHarness = new ScsiHarness(thick);
        TestPort p = thickHarness.run(0x12, 1, 0xb1, 0, 0xff, 0);
        p.assertGood();
        assertEquals(0, p.dataIn()[7] & 0xc0, "no BLOCK ERASE, nothing to say");
    }

    @Test
    void provisioningPageAgreesWithReadCapacity16() {
        byte[] b2 = vpd(0xb2);
        TestPort rc = h.run(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
        rc.assertGood();
        byte[] r = rc.dataIn();
        boolean lbprzRc = (r[14] & 0x40) != 0;
        boolean lbprzVpd = (b2[5] & 0x04) != 0;
        assertEquals(lbprzRc, lbprzVpd);
        boolean lbpme = (r[14] & 0x80) != 0;
        boolean lbpu = (b2[5] & 0x80) != 0;
        assertEquals(lbpme, lbpu);
    }

    @Test
    void unmappedLunAnswersWithQualifier3() {
        ScsiNexus n = h.nexus;
        TestPort p = h.send(n, 7, TaskAttribute.SIMPLE, null, 255, cdb(0x12, 0, 0, 0, 36, 0));
        p.assertGood();
        assertEquals(0x7f, p.dataIn()[0] & 0xff);
    }

    @Test
    void targetWithoutLunZeroStillAnswersInquiryOnLunZero() {
        var core = new dev.lunar.scsi.internal.target.DeviceServerCore(CommandTable.standard());
        LogicalUnit lu = new LogicalUnit("only", "iqn.t2", 4, "memory", 8, null);
        core.addLogicalUnit(lu);
        ScsiNexus n = core.openNexus("iqn.t2", "i,i,0x1", "iqn.t2,t,0x1", 1, false);
        TestPort p = new TestPort(0, cdb(0x12, 0, 0, 0, 36, 0), 1, TaskAttribute.SIMPLE, 36, null);
        n.execute(p);
        p.assertGood();
        assertEquals(0x7f, p.dataIn()[0] & 0xff);
        assertNotNull(p.dataIn());
    }
}
