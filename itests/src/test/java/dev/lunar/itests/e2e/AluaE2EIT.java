package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 5, ALUA port groups: the default portal (tpgt 1, active/optimized by default) and a
 * second loopback portal {@code tpgt = 2, aluaState = standby}. Through either, REPORT TARGET PORT
 * GROUPS (SPC-4 §6.36) lists both groups with their states and ports; through the standby one
 * TEST UNIT READY gets NOT READY 04/0B while INQUIRY runs (SPC-4 §5.16.2.4.4); editing the
 * portal's file to active-non-optimized gives that session ASYMMETRIC ACCESS STATE CHANGED and
 * then GOOD.
 *
 * <p>No Debian tool sends REPORT TARGET PORT GROUPS ad hoc (sg_rtpg is not installed, libiscsi's
 * iscsi-inq cannot), so the initiator is raw PDUs on a socket, as in TransportReturnE2EIT.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AluaE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:alua";
    private static final String INITIATOR = "iqn.2026-11.dev.lunar:alua-initiator";
    private static final String PORTAL_FILE = "dev.lunar.portal-alua2.cfg";
    private static final int GOOD = 0x00;
    private static final int CHECK_CONDITION = 0x02;
    private static final byte[] TUR = {0, 0, 0, 0, 0, 0};
    private static final byte[] RTPG = {(byte) 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    private static final byte[] INQUIRY = {0x12, 0, 0, 0, 96, 0};

    private int standbyPort;

    @BeforeAll
    void addLunAndStandbyPortal() throws IOException {
        LunConfigs.addTarget(lunar, "alua", IQN);
        LunConfigs.addLun(lunar, "alua-0", IQN, 0, "ramdisk", Map.of("size", Integer.toString(4 << 20)));
        LunConfigs.awaitLun(lunar, lunar.iscsiUrl("/" + IQN + "/0"));
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            standbyPort = free.getLocalPort();
        }
        writePortal("standby");
        for (int i = 0; i < 120 && !portOpen(standbyPort); i++) {
            sleep(500);
        }
        assertTrue(portOpen(standbyPort), "the second portal never listened\n" + lunar.diagnostics());
    }

    @Test
    @Order(1)
    void rtpgListsBothGroupsAndTheStandbyPathRefusesMediumCommands() throws IOException {
        try (RawInitiator active = RawInitiator.login(lunar.iscsiPort(), INITIATOR, IQN, 0x2001)) {
            active.clearUnitAttentions();
            byte[] groups = awaitGroupState(active, 2, 0x2);
            assertEquals(4 + 2 * 12, groups.length, "two descriptors of one port each");
            assertEquals(0x0, groups[4] & 0xff, "group 1 active/optimized, PREF clear");
            assertEquals(0x0f, groups[5] & 0xff, "AO/AN/S/U supported");
            assertEquals(1, ByteBuffer.wrap(groups).getShort(6));
            assertEquals(1, ByteBuffer.wrap(groups).getShort(14), "relative target port 1");
            assertEquals(2, ByteBuffer.wrap(groups).getShort(18));
            assertEquals(2, ByteBuffer.wrap(groups).getShort(26), "relative target port 2");
            assertEquals(GOOD, active.command(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 4096).status(),
                    "READ through the active/optimized group");
        }
        try (RawInitiator standby = RawInitiator.login(standbyPort, INITIATOR, IQN, 0x2002)) {
            RawInitiator.Reply r = standby.afterUnitAttentions(TUR, 0);
            assertEquals(CHECK_CONDITION, r.status());
            assertEquals("02/04/0b", r.sense(), "TEST UNIT READY through a standby group");
            assertEquals(GOOD, standby.command(INQUIRY, 96).status(), "INQUIRY through a standby group");
            RawInitiator.Reply groups = standby.command(RTPG, 256);
            assertEquals(GOOD, groups.status(), "REPORT TARGET PORT GROUPS through a standby group");
            assertEquals(0x2, groups.data()[16] & 0x0f);
        }
    }

    @Test
    @Order(2)
    void aLiveStateChangeRaisesTheUnitAttentionThroughThatGroup() throws IOException {
        try (RawInitiator path = RawInitiator.login(standbyPort, INITIATOR, IQN, 0x2003)) {
            assertEquals("02/04/0b", path.afterUnitAttentions(TUR, 0).sense(), "still standby");
            writePortal("active-non-optimized");
            boolean changed = false;
            RawInitiator.Reply r = null;
            for (int i = 0; i < 120; i++) {
                r = path.command(TUR, 0);
                if (r.status() == GOOD) {
                    break;
                }
                changed |= "06/2a/06".equals(r.sense());
                sleep(250);
            }
            assertEquals(GOOD, r.status(), "active/non-optimized runs TEST UNIT READY: " + r.sense());
            assertTrue(changed, "ASYMMETRIC ACCESS STATE CHANGED came before GOOD");
            RawInitiator.Reply groups = path.command(RTPG, 256);
            assertEquals(0x1, groups.data()[16] & 0x0f, "group 2 active/non-optimized");
        }
    }

    /** RTPG until group {@code tpgt} (second descriptor) is listed in {@code state}: Config Admin is asynchronous. */
    private byte[] awaitGroupState(RawInitiator initiator, int tpgt, int state) throws IOException {
        byte[] data = new byte[0];
        for (int i = 0; i < 120; i++) {
            RawInitiator.Reply r = initiator.command(RTPG, 256);
            assertEquals(GOOD, r.status(), "REPORT TARGET PORT GROUPS " + r.sense());
            data = r.data();
            if (data.length >= 28 && ByteBuffer.wrap(data).getShort(18) == tpgt && (data[16] & 0x0f) == state) {
                return data;
            }
            sleep(250);
        }
        throw new AssertionError("group " + tpgt + " never listed in state " + state + "\n" + lunar.diagnostics());
    }

    /** Writes the second portal's file atomically (fileinstall never reads half a file). */
    private void writePortal(String state) {
        String text = "# written by AluaE2EIT\naddress = 127.0.0.1\nport = " + standbyPort + "\ntransport = tcp\n"
                + "tpgt = 2\naluaState = " + state + "\n";
        Path etc = lunar.home().resolve("etc");
        Path partial = lunar.home().resolve(PORTAL_FILE + ".partial");
        try {
            Files.writeString(partial, text, StandardCharsets.UTF_8);
            Files.move(partial, etc.resolve(PORTAL_FILE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
