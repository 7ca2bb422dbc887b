package dev.lunar.scsi.internal.lun;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.LunInfo;
import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.command.Command;
import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.lun.LunBindingTest.MemoryBackend;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.scsi.internal.target.ScsiTarget;
import dev.lunar.spi.scsi.TaskAttribute;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A LUN's backend replaced under live I/O (DESIGN §3.5) and live configuration changes (§3.6):
 * commands held and resumed, the grace and its NOT READY, the drain before close, resize, remap,
 * unmapped configurations, options applied with and without a reopen.
 */
class BackendSwapTest {

    static final String TARGET = LunBindingTest.TARGET;

    private final DeviceServerCore core = new DeviceServerCore(CommandTable.standard());
    private final ScsiNexus nexus = core.openNexus(TARGET, "i,i,0x1", TARGET + ",t,0x1", 1, false);
    private final ExecutorService management = Executors.newSingleThreadExecutor();
    private long tags = 100;

    @AfterEach
    void shutdown() {
        management.shutdownNow();
    }

    private static LunConfig config(String name, int lun, Map<String, String> extra) {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "dev.lunar.lun~" + name);
        p.put("target", TARGET);
        p.put("lun", String.valueOf(lun));
        p.put("backend", "mem");
        p.put("size", "64K");
        p.putAll(extra);
        p.values().removeIf(v -> v == null);
        return LunConfig.from(p);
    }

    private static LunConfig config(String name, int lun, String... keyValues) {
        Map<String, String> extra = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            extra.put(keyValues[i], keyValues[i + 1]);
        }
        return config(name, lun, extra);
    }

    /** A binding on the calling thread: every event is applied when the call returns. */
    private LunBinding inline(LunConfig c) {
        LunBinding b = new LunBinding(core, Runnable::run, null, c);
        b.start();
        return b;
    }

    private TestPort send(int lun, byte[] cdb, int expectedIn, byte[] dataOut) {
        TestPort p = new TestPort(ScsiTarget.encodeLun(lun), cdb, tags++, TaskAttribute.SIMPLE, expectedIn, dataOut);
        nexus.execute(p);
        return p;
    }

    private TestPort tur(int lun) {
        return send(lun, cdb(0, 0, 0, 0, 0, 0), 0, null);
    }

    private TestPort read(int lun, int lba, int blocks) {
        return send(lun, cdb(0x28, 0, 0, 0, 0, lba, 0, 0, blocks, 0), blocks * 512, null);
    }

    private TestPort write(int lun, int lba, byte[] data) {
        return send(lun, cdb(0x2a, 0, 0, 0, 0, lba, 0, 0, data.length / 512, 0), 0, data);
    }

    private TestPort readyAfterUas(int lun) {
        for (int i = 0; i < 10; i++) {
            TestPort p = tur(lun);
            if (p.sense() == null || p.senseKey() != 0x6) {
                return p;
            }
        }
        throw new AssertionError("UAs never cleared");
    }

    private static byte[] pattern(int blocks, int value) {
        byte[] b = new byte[blocks * 512];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** Waits for a condition another thread makes true; fails after a generous bound, never times a result. */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 2000 && !condition.getAsBoolean(); i++) {
            Thread.sleep(5);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    // ------------------------------------------------------------------ backend replaced

    @Test
    void commandsArrivingDuringTheSwapAreHeldAndRunOnTheNewDevice() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        readyAfterUas(0).assertGood();
        byte[] naa = b.logicalUnit().identity().naa();

        b.backendRemoved(first);
        TestPort r = read(0, 3, 2);
        TestPort w = write(0, 8, pattern(1, 0x5a));
        assertFalse(r.done(), "a READ during the swap is held, not answered NOT READY");
        assertFalse(w.done());
        LunInfo waiting = b.info();
        assertEquals("WAITING", waiting.state());
        assertTrue(waiting.detail().contains("holding 2 command(s)"), waiting.detail());

        MemoryBackend second = new MemoryBackend("mem") {
            @Override
            public dev.lunar.spi.backend.BlockDevice open(String name, Map<String, String> opts)
                    throws dev.lunar.spi.backend.BackendException {
                MemoryBlockDevice d = (MemoryBlockDevice) super.open(name, opts);
                d.fill(3, pattern(2, 0x33));
                return d;
            }
        };
        b.backendAdded(second);
        r.assertGood();
        assertArrayEquals(pattern(2, 0x33), r.dataIn(), "the held READ ran on the new device");
        w.assertGood();
        assertArrayEquals(pattern(1, 0x5a), second.opened.get(0).bytes(8, 1));
        assertTrue(first.opened.get(0).closed);
        assertArrayEquals(naa, b.logicalUnit().identity().naa(), "same identity after the swap");
        assertEquals(1, BackendHold.of(b.logicalUnit()).completedHolds());
        tur(0).assertGood(); // no unit attention: the initiator saw nothing
    }

    @Test
    void aRamDiskStyleBackendThatComesBackEmptySaysTheMediumMayHaveChanged() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first, "mem", false);
        readyAfterUas(0).assertGood(); // first open: no such UA, nothing was lost
        b.backendRemoved(first);
        TestPort held = tur(0);
        b.backendAdded(new MemoryBackend("mem"), "mem", false);
        held.assertGood();
        tur(0).assertCheckCondition(0x6, 0x28, 0x00);
        tur(0).assertGood();
    }

    @Test
    void reservationsAndModePagesSurviveTheSwap() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        readyAfterUas(0).assertGood();
        LogicalUnit before = b.logicalUnit();
        send(0, cdb(0x16, 0, 0, 0, 0, 0), 0, null).assertGood(); // RESERVE(6)
        b.backendRemoved(first);
        b.backendAdded(new MemoryBackend("mem"));
        assertSame(before, b.logicalUnit(), "the LU object (reservations, mode pages, UAs) is kept");
        ScsiNexus other = core.openNexus(TARGET, "i2,i,0x2", TARGET + ",t,0x1", 1, false);
        TestPort p = null;
        for (int i = 0; i < 5; i++) {
            p = new TestPort(ScsiTarget.encodeLun(0), cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0), tags++,
                    TaskAttribute.SIMPLE, 512, null);
            other.execute(p);
            if (p.sense() == null || p.senseKey() != 0x6) {
                break;
            }
        }
        assertEquals(dev.lunar.spi.scsi.ScsiStatus.RESERVATION_CONFLICT, p.status(),
                "the RESERVE(6) of the first nexus still holds after the swap");
    }

    @Test
    void noReplacementWithinTheGraceMeansNotReadyCauseNotReportable() throws InterruptedException {
        LunBinding b = new LunBinding(core, management, null, config("d", 0, LunConfig.BACKEND_GRACE_SECONDS, "1"));
        b.start();
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        await("ready", () -> b.logicalUnit() != null && b.logicalUnit().device() != null);
        readyAfterUas(0).assertGood();
        b.backendRemoved(first);
        TestPort held = read(0, 0, 1);
        assertFalse(held.done(), "held within the grace");
        await("the grace of 1 s ends", held::done);
        held.assertCheckCondition(0x2, 0x04, 0x00);
        tur(0).assertCheckCondition(0x2, 0x04, 0x00);
        b.backendAdded(new MemoryBackend("mem"));
        await("ready again", () -> b.logicalUnit().device() != null);
        tur(0).assertGood();
    }

    @Test
    void graceZeroAnswersNotReadyBecomingReadyAtOnce() {
        LunBinding b = inline(config("d", 0, LunConfig.BACKEND_GRACE_SECONDS, "0"));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        readyAfterUas(0).assertGood();
        b.backendRemoved(first);
        tur(0).assertCheckCondition(0x2, 0x04, 0x01);
    }

    @Test
    void ioInFlightCompletesBeforeTheOldDeviceCloses() throws Exception {
        LunBinding b = new LunBinding(core, management, null, config("d", 0));
        b.start();
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        await("ready", () -> b.logicalUnit() != null && b.logicalUnit().device() != null);
        readyAfterUas(0).assertGood();
        MemoryBlockDevice old = first.opened.get(0);
        old.hold(true);
        TestPort inFlight = write(0, 1, pattern(1, 0x5a));
        assertEquals(1, old.heldCount(), "the WRITE reached the device");

        Thread remover = new Thread(() -> b.backendRemoved(first));
        remover.start();
        await("device detached", () -> b.logicalUnit().device() == null);
        TestPort later = read(0, 1, 1);
        assertTrue(remover.isAlive(), "the unbind waits for the WRITE on the old device");
        assertFalse(old.closed, "not closed under the WRITE");
        assertFalse(later.done(), "new commands are held meanwhile");

        old.releaseHeld();
        remover.join();
        inFlight.assertGood();
        assertTrue(old.closed, "closed once drained");
        MemoryBackend second = new MemoryBackend("mem") {
            @Override
            public dev.lunar.spi.backend.BlockDevice open(String name, Map<String, String> opts)
                    throws dev.lunar.spi.backend.BackendException {
                MemoryBlockDevice d = (MemoryBlockDevice) super.open(name, opts);
                d.fill(0, old.bytes(0, 128)); // the same storage, as a file backend reopens its file
                return d;
            }
        };
        b.backendAdded(second);
        await("the held READ ran", later::done);
        later.assertGood();
        assertArrayEquals(pattern(1, 0x5a), later.dataIn(), "the write before the swap is there after it");
    }

    @Test
    void aHeldCommandAbortedByTheInitiatorDoesNotRunLater() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        readyAfterUas(0).assertGood();
        b.backendRemoved(first);
        TestPort w = write(0, 2, pattern(1, 0x77));
        for (Command c : b.logicalUnit().taskSet().select(c -> true)) {
            c.abort(() -> { });
        }
        assertTrue(w.wasAborted());
        MemoryBackend second = new MemoryBackend("mem");
        b.backendAdded(second);
        assertArrayEquals(pattern(1, 0), second.opened.get(0).bytes(2, 1), "an aborted WRITE never lands");
    }

    @Test
    void theHoldIsBoundedByTheTaskSet() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        readyAfterUas(0).assertGood();
        b.backendRemoved(first);
        java.util.List<TestPort> held = new java.util.ArrayList<>();
        for (int i = 0; i < LunBinding.QUEUE_DEPTH; i++) {
            held.add(tur(0));
        }
        assertEquals(LunBinding.QUEUE_DEPTH, BackendHold.of(b.logicalUnit()).heldNow());
        TestPort over = tur(0);
        assertEquals(dev.lunar.spi.scsi.ScsiStatus.TASK_SET_FULL, over.status(), "one more than the task set holds");
        b.backendAdded(new MemoryBackend("mem"));
        for (TestPort p : held) {
            p.assertGood();
        }
    }

    @Test
    void openFailureAfterASwapAnswersTheHeldCommandsNotReadyManualIntervention() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        readyAfterUas(0).assertGood();
        b.backendRemoved(first);
        TestPort held = tur(0);
        MemoryBackend broken = new MemoryBackend("mem");
        broken.refuse = true;
        b.backendAdded(broken);
        held.assertCheckCondition(0x2, 0x04, 0x03);
        assertEquals("FAILED", b.info().state());
    }

    @Test
    void removingTheLunAnswersHeldCommandsLogicalUnitNotSupported() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend first = new MemoryBackend("mem");
        b.backendAdded(first);
        readyAfterUas(0).assertGood();
        b.backendRemoved(first);
        TestPort held = tur(0);
        b.stop();
        held.assertCheckCondition(0x5, 0x25, 0x00);
    }

    // ------------------------------------------------------------------ live configuration

    @Test
    void growAndShrinkInPlaceRaiseCapacityDataHasChanged() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend mem = new MemoryBackend("mem");
        b.backendAdded(mem);
        readyAfterUas(0).assertGood();
        write(0, 100, pattern(1, 0x11)).assertGood();
        b.modified(config("d", 0, "size", "128K"));
        tur(0).assertCheckCondition(0x6, 0x2a, 0x09);
        assertEquals(256, b.logicalUnit().geometry().blockCount());
        read(0, 200, 1).assertGood();
        b.modified(config("d", 0, "size", "32K"));
        tur(0).assertCheckCondition(0x6, 0x2a, 0x09);
        assertEquals(64, b.logicalUnit().geometry().blockCount());
        read(0, 100, 1).assertCheckCondition(0x5, 0x21, 0x00);
        assertEquals(1, mem.opened.size(), "resized in place, no reopen");
        assertFalse(mem.opened.get(0).closed);
        b.modified(config("d", 0, "size", "33000"));
        assertEquals(64, b.logicalUnit().geometry().blockCount(), "not a whole number of blocks: refused");
        tur(0).assertGood();
    }

    @Test
    void everyNexusLearnsOfTheNewCapacity() {
        LunBinding b = inline(config("d", 0));
        b.backendAdded(new MemoryBackend("mem"));
        readyAfterUas(0).assertGood();
        ScsiNexus other = core.openNexus(TARGET, "i2,i,0x2", TARGET + ",t,0x1", 1, false);
        b.modified(config("d", 0, "size", "128K"));
        tur(0).assertCheckCondition(0x6, 0x2a, 0x09);
        boolean sawIt = false;
        for (int i = 0; i < 5 && !sawIt; i++) {
            TestPort p = new TestPort(ScsiTarget.encodeLun(0), cdb(0, 0, 0, 0, 0, 0), tags++, TaskAttribute.SIMPLE, 0,
                    null);
            other.execute(p);
            sawIt = p.sense() != null && p.asc() == 0x2a && p.ascq() == 0x09;
        }
        assertTrue(sawIt, "the second I_T nexus gets 2A/09 too");
    }

    @Test
    void aConfigurationWithoutTargetIsUnmappedAndCanBeMappedLater() {
        LunBinding other = inline(config("o", 1));
        other.backendAdded(new MemoryBackend("mem"));
        readyAfterUas(1).assertGood();
        Map<String, String> noTarget = new HashMap<>();
        noTarget.put("target", null);
        LunBinding b = inline(config("u", 0, noTarget));
        MemoryBackend mem = new MemoryBackend("mem");
        b.backendAdded(mem);
        assertNull(b.logicalUnit());
        assertEquals(LunBinding.UNMAPPED, b.info().state());
        assertEquals("", b.info().target());
        assertTrue(mem.opened.isEmpty(), "an unmapped LUN opens nothing");
        tur(0).assertCheckCondition(0x5, 0x25, 0x00);

        b.modified(config("u", 0));
        readyAfterUas(0).assertGood();
        assertEquals("READY", b.info().state());
        tur(1).assertCheckCondition(0x6, 0x3f, 0x0e);

        b.modified(config("u", 0, noTarget));
        assertEquals(LunBinding.UNMAPPED, b.info().state());
        assertTrue(mem.opened.get(0).closed);
        tur(0).assertCheckCondition(0x5, 0x25, 0x00);
        tur(1).assertCheckCondition(0x6, 0x3f, 0x0e);
    }

    @Test
    void remapToAnotherLunNumberTellsTheOtherLunsOfTheTarget() {
        LunBinding other = inline(config("o", 1));
        other.backendAdded(new MemoryBackend("mem"));
        readyAfterUas(1).assertGood();
        LunBinding b = inline(config("a", 0));
        b.backendAdded(new MemoryBackend("mem"));
        readyAfterUas(0).assertGood();
        readyAfterUas(1).assertGood();
        byte[] naa = b.logicalUnit().identity().naa();
        b.modified(config("a", 5));
        tur(1).assertCheckCondition(0x6, 0x3f, 0x0e);
        tur(0).assertCheckCondition(0x5, 0x25, 0x00);
        readyAfterUas(5).assertGood();
        assertArrayEquals(naa, b.logicalUnit().identity().naa(), "same target and name: same device identifier");
    }

    @Test
    void readOnlyAndWriteCacheApplyWithoutReopenAndRaiseModeParametersChanged() {
        LunBinding b = inline(config("d", 0));
        MemoryBackend mem = new MemoryBackend("mem");
        b.backendAdded(mem);
        readyAfterUas(0).assertGood();
        b.modified(config("d", 0, LunConfig.READ_ONLY, "true"));
        tur(0).assertCheckCondition(0x6, 0x2a, 0x01);
        write(0, 0, pattern(1, 1)).assertCheckCondition(0x7, 0x27, 0x00);
        b.modified(config("d", 0, LunConfig.READ_ONLY, "false"));
        tur(0).assertCheckCondition(0x6, 0x2a, 0x01);
        write(0, 0, pattern(1, 1)).assertGood();
        b.modified(config("d", 0, "writeCache", "true"));
        tur(0).assertCheckCondition(0x6, 0x2a, 0x01);
        assertTrue(b.logicalUnit().geometry().writeCache());
        assertEquals(1, mem.opened.size(), "no reopen for readOnly on a writable device or writeCache");
    }

    @Test
    void anOptionTheDeviceWasOpenedWithReopensWithTheSameIdentity() {
        LunBinding b = inline(config("d", 0, "path", "/a"));
        MemoryBackend mem = new MemoryBackend("mem");
        b.backendAdded(mem);
        readyAfterUas(0).assertGood();
        LogicalUnit unit = b.logicalUnit();
        b.modified(config("d", 0, "path", "/b"));
        assertEquals(2, mem.opened.size());
        assertTrue(mem.opened.get(0).closed);
        assertEquals("/b", mem.options.get(1).get("path"));
        assertSame(unit, b.logicalUnit());
        tur(0).assertGood();
    }

    @Test
    void graceOptionIsValidated() {
        assertEquals(20_000, config("d", 0).backendGraceMillis());
        assertEquals(5_000, config("d", 0, "backendgraceseconds", "5").backendGraceMillis());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> config("d", 0, LunConfig.BACKEND_GRACE_SECONDS, "-1"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> config("d", 0, LunConfig.BACKEND_GRACE_SECONDS, "soon"));
    }
}
