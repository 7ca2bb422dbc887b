package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU's iSCSI block driver (libiscsi inside qemu-img, Debian qemu-utils) against Lunar: the
 * initiator every KVM host uses (DESIGN.md §6, issue 3 "done when").
 */
class QemuImgE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:qemu";
    /** Small enough that reading the whole LUN back takes well under a second. */
    private static final int LUN_BYTES = 8 << 20;
    /** Less than the LUN, so the copy back also proves the tail stayed zero. */
    private static final int IMAGE_BYTES = 3 << 20;

    @BeforeAll
    void addSmallLun() {
        LunConfigs.addTarget(lunar, "qemu", IQN);
        LunConfigs.addLun(lunar, "qemu-0", IQN, 0, "ramdisk", Map.of("size", Integer.toString(LUN_BYTES)));
        LunConfigs.awaitLun(lunar, url(IQN));
    }

    @Test
    void infoShowsTheVirtualSizeOfTheDefaultLun() {
        assertEquals(1L << 30, virtualSize(url(DEFAULT_TARGET)), "the default LUN is a 1 GiB RAM disk");
    }

    @Test
    void infoShowsTheVirtualSizeOfAConfiguredLun() {
        assertEquals(LUN_BYTES, virtualSize(url(IQN)));
    }

    @Test
    void convertOntoTheLunAndBackKeepsEveryByte(@TempDir Path dir) throws IOException {
        byte[] image = new byte[IMAGE_BYTES];
        new Random(0x4c554e4152L).nextBytes(image);
        Path source = dir.resolve("source.raw");
        Files.write(source, image);
        Path back = dir.resolve("back.raw");

        // -n: the LUN exists; qemu-img must not try to "create" the iSCSI image.
        qemuImg("convert", "-n", "-f", "raw", "-O", "raw", "-t", "none", source.toString(),
                url(IQN));
        qemuImg("convert", "-f", "raw", "-O", "raw", url(IQN), back.toString());

        byte[] lun = Files.readAllBytes(back);
        assertEquals(LUN_BYTES, lun.length, "qemu-img copied the whole LUN");
        byte[] head = Arrays.copyOf(lun, IMAGE_BYTES);
        assertArrayEquals(image, head, "bytes read back differ from the bytes written");
        byte[] tail = Arrays.copyOfRange(lun, IMAGE_BYTES, LUN_BYTES);
        assertArrayEquals(new byte[LUN_BYTES - IMAGE_BYTES], tail, "blocks never written are not zero");
        // qemu-img's own comparison (reads the LUN again, in its own request sizes).
        qemuImg("compare", "-f", "raw", "-F", "raw", source.toString(), url(IQN));
    }

    @Test
    void benchReadsAndWrites() {
        // Queue depth 16 of 4 KiB requests: exercises the CmdSN window and concurrent tasks, not speed.
        String read = qemuImg("bench", "-f", "raw", "-t", "none", "-c", "2000", "-d", "16",
                "-s", "4k", url(IQN));
        assertTrue(read.contains("Run completed"), read);
        String write = qemuImg("bench", "-f", "raw", "-t", "none", "-w", "-c", "2000", "-d", "16",
                "-s", "4k", url(IQN));
        assertTrue(write.contains("Run completed"), write);
    }

    private long virtualSize(String url) {
        String info = qemuImg("info", url);
        Matcher size = Pattern.compile("virtual size: .*\\((\\d+) bytes\\)").matcher(info);
        assertTrue(size.find(), () -> "qemu-img info printed no virtual size:\n" + info);
        return Long.parseLong(size.group(1));
    }

    private static String qemuImg(String... arguments) {
        return QemuTools.succeed("qemu-img", arguments);
    }

    private String url(String iqn) {
        return lunar.iscsiUrl("/" + iqn + "/0");
    }
}
