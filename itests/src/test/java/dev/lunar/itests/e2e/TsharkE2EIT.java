package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wireshark's iSCSI and SCSI dissectors as an independent check of what Lunar puts on the wire
 * (issue 3 "done when"): a captured session of real initiators (libiscsi's iscsi-inq, QEMU's
 * driver through qemu-io) must decode with iSCSI frames and without malformed or error-level
 * expert frames.
 */
class TsharkE2EIT extends LunarE2ETest {

    private static final Duration CAPTURE_LIMIT = Duration.ofSeconds(120);
    private static final Duration CAPTURE_START = Duration.ofSeconds(30);
    /** The VPD pages whose full-length answers the session fetches (INQUIRY EVPD=1, SPC-4 §7.8). */
    private static final List<String> VPD_PAGES = List.of("0x00", "0x80", "0x83", "0x86", "0xb0", "0xb1", "0xb2");

    @Test
    void aSessionDecodesWithoutMalformedFrames(@TempDir Path dir) throws Exception {
        Path tshark = requireTshark();
        Path capture = dir.resolve("session.pcapng");
        int port = lunar.iscsiPort();
        String url = lunar.iscsiUrl("/" + DEFAULT_TARGET + "/0");

        Process capturing = startCapture(tshark, capture, port, dir.resolve("tshark.out"));
        try {
            // Login, INQUIRY (standard and each VPD page at full length), READ CAPACITY, a write
            // and a read of 256 KiB (several Data-Out/Data-In PDUs and an R2T sequence), logout.
            assertSucceeded(runIscsiTool("iscsi-inq", url));
            for (String page : VPD_PAGES) {
                assertSucceeded(runIscsiTool("iscsi-inq", "-e", "1", "-c", page, url));
            }
            assertSucceeded(runIscsiTool("iscsi-readcapacity16", url));
            QemuTools.succeed("qemu-io", "-f", "raw", "-t", "none", "-c", "write -P 0x5a 1M 256k",
                    "-c", "flush", "-c", "read -P 0x5a 1M 256k", url);
        } finally {
            stopCapture(capturing);
        }

        String decoder = "tcp.port==" + port + ",iscsi";
        List<String> iscsiFrames = lines(tshark(tshark, "-r", capture.toString(), "-d", decoder, "-Y", "iscsi"));
        assertTrue(iscsiFrames.size() > 20, () -> "too few iSCSI frames decoded:\n" + String.join("\n", iscsiFrames));
        assertTrue(iscsiFrames.stream().anyMatch(f -> f.contains("Login Response (Success)")),
                () -> "no successful login decoded:\n" + String.join("\n", iscsiFrames));
        assertTrue(iscsiFrames.stream().anyMatch(f -> f.contains("Write(10)") || f.contains("Write(16)")),
                () -> "no WRITE decoded:\n" + String.join("\n", iscsiFrames));
        assertTrue(iscsiFrames.stream().anyMatch(f -> f.contains("Logout Response")),
                () -> "no logout decoded:\n" + String.join("\n", iscsiFrames));

        // frame, iSCSI opcode, data segment length, request frame, request's EVPD page code and
        // allocation length: enough to recognise an INQUIRY answer cut at the allocation length.
        List<String> bad = lines(tshark(tshark, "-r", capture.toString(), "-d", decoder, "-Y",
                "_ws.malformed || _ws.expert.severity == error", "-T", "fields", "-E", "separator=|",
                "-e", "frame.number", "-e", "iscsi.opcode", "-e", "iscsi.datasegmentlength",
                "-e", "scsi.request_frame", "-e", "_ws.col.Info"));
        List<String> unexplained = new ArrayList<>();
        for (String frame : bad) {
            if (!isInquiryCutAtAllocationLength(tshark, capture, decoder, frame)) {
                unexplained.add(frame);
            }
        }
        assertEquals(List.of(), unexplained, () -> "malformed or error frames in " + capture + ":\n"
                + tshark(tshark, "-r", capture.toString(), "-d", decoder, "-V", "-Y",
                        "_ws.malformed || _ws.expert.severity == error"));
    }

    /**
     * Wireshark 4.0 marks an INQUIRY VPD answer "malformed" when the initiator's allocation length
     * cut it short (QEMU asks for 64 bytes of the Device Identification page first): the dissector
     * walks the designators up to the page length the target reports. SPC-4 §4.2.5.6 requires
     * exactly that truncation. Accepted only when the frame is a Data-In of an INQUIRY with EVPD=1
     * carrying exactly the allocation length, and the same page, asked for in full in this capture,
     * decodes cleanly.
     */
    private boolean isInquiryCutAtAllocationLength(Path tshark, Path capture, String decoder, String frame) {
        String[] f = frame.split("\\|", -1);
        if (f.length < 4 || !"0x25".equals(f[1]) || f[3].isEmpty()) {
            return false;
        }
        String[] request = tshark(tshark, "-r", capture.toString(), "-d", decoder, "-Y", "frame.number==" + f[3],
                "-T", "fields", "-E", "separator=|", "-e", "scsi_sbc.opcode", "-e", "scsi.inquiry.evpd.pagecode",
                "-e", "scsi.cdb.alloclen16").strip().split("\\|", -1);
        if (request.length < 3 || !"0x12".equals(request[0]) || request[1].isEmpty()
                || !request[2].equals(f[2])) {
            return false;
        }
        String cleanAnswers = tshark(tshark, "-r", capture.toString(), "-d", decoder, "-Y",
                "iscsi.opcode == 0x25 && scsi.inquiry.evpd.pagecode == " + request[1] + " && !_ws.malformed",
                "-T", "fields", "-e", "frame.number");
        return !cleanAnswers.isBlank();
    }

    private static Path requireTshark() {
        if (Tools.which("tshark") == null) {
            throw new AssertionError("tshark is not installed: it comes with the Debian package tshark, which"
                    + " ./lunar test installs (optional list) when run as root; install it or run ./lunar test");
        }
        return Tools.which("tshark");
    }

    /** Starts tshark on loopback for the portal's port and waits until it says it captures. */
    private static Process startCapture(Path tshark, Path capture, int port, Path output) throws IOException,
            InterruptedException {
        Process process = new ProcessBuilder(tshark.toString(), "-i", "lo", "-f", "tcp port " + port,
                "-w", capture.toString(), "-a", "duration:" + CAPTURE_LIMIT.toSeconds())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        Instant deadline = Instant.now().plus(CAPTURE_START);
        while (!Files.readString(output, StandardCharsets.UTF_8).contains("Capturing on")) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                process.destroyForcibly();
                throw new AssertionError("tshark did not start capturing on lo (capturing needs root or the"
                        + " wireshark group):\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            Thread.sleep(100);
        }
        return process;
    }

    /** SIGTERM lets tshark finish the file; the last packets are flushed before it exits. */
    private static void stopCapture(Process process) throws InterruptedException {
        // Give the kernel a moment to hand the last FIN/ACK of the logout to the capture.
        Thread.sleep(500);
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private String tshark(Path tshark, String... arguments) {
        List<String> argv = new ArrayList<>();
        argv.add(tshark.toString());
        argv.addAll(List.of(arguments));
        ToolResult result = Tools.run(TOOL_TIMEOUT, Map.of(), argv);
        assertTrue(result.succeeded(), result::describe);
        // tshark warns on stderr when run as root; Tools merges the streams.
        return String.join("\n", withoutRootWarning(result.output()));
    }

    private static List<String> withoutRootWarning(String output) {
        List<String> kept = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (!line.startsWith("Running as user \"root\"")) {
                kept.add(line);
            }
        }
        return kept;
    }

    private static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        return lines;
    }
}
