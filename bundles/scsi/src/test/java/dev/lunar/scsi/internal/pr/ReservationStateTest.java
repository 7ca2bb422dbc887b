package dev.lunar.scsi.internal.pr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.Sense;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReservationStateTest {

    private final DeviceServerCore core = new DeviceServerCore(new CommandTable());
    private final ScsiNexus a = core.openNexus("iqn.t", "iqn.a,i,0x1", "iqn.t,t,0x1", 1, false);
    private final ScsiNexus b = core.openNexus("iqn.t", "iqn.b,i,0x2", "iqn.t,t,0x1", 1, false);
    private final ScsiNexus c = core.openNexus("iqn.t", "iqn.c,i,0x3", "iqn.t,t,0x1", 1, false);
    private final ReservationState s = new ReservationState((java.nio.file.Path) null);
    private final List<String> events = new ArrayList<>();
    private final ReservationEffects fx = new ReservationEffects() {
        @Override
        public void attention(Registration r, Sense sense) {
            events.add(r.initiatorPort() + " " + Integer.toHexString(sense.asc()) + "/" + sense.ascq());
        }

        @Override
        public void abortTasksOf(Registration r) {
            events.add("abort " + r.initiatorPort());
        }
    };

    private void registerAll() {
        assertEquals(Verdict.GOOD, s.register(a, 0, 1, true, false, false, fx));
        assertEquals(Verdict.GOOD, s.register(b, 0, 2, true, false, false, fx));
        assertEquals(Verdict.GOOD, s.register(c, 0, 2, true, false, false, fx));
    }

    @Test
    void preemptRemovesEveryRegistrationWithTheKeyAndAbortsTheirTasks() {
        registerAll();
        s.reserve(b, 2, PrType.WRITE_EXCLUSIVE);
        Verdict v = s.preempt(a, 1, 2, PrType.EXCLUSIVE_ACCESS, true, fx);
        assertEquals(ScsiStatus.GOOD, v.status());
        assertEquals(1, s.registrations().size());
        assertEquals(PrType.EXCLUSIVE_ACCESS, s.type());
        assertEquals(1, s.holder().key());
        assertEquals(List.of("iqn.b,i,0x2 2a/5", "abort iqn.b,i,0x2", "iqn.c,i,0x3 2a/5", "abort iqn.c,i,0x3"), events);
    }

    @Test
    void selfPreemptChangesTheTypeAndTellsTheOthers() {
        registerAll();
        s.reserve(a, 1, PrType.WRITE_EXCLUSIVE);
        assertEquals(ScsiStatus.GOOD, s.preempt(a, 1, 1, PrType.EXCLUSIVE_ACCESS, false, fx).status());
        assertEquals(3, s.registrations().size(), "the preempting nexus keeps its registration");
        assertEquals(PrType.EXCLUSIVE_ACCESS, s.type());
        assertEquals(List.of("iqn.b,i,0x2 2a/4", "iqn.c,i,0x3 2a/4"), events);
    }

    @Test
    void preemptOfAnAllRegistrantsReservationByKeyLeavesTheReservation() {
        registerAll();
        s.reserve(b, 2, PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS);
        assertEquals(ScsiStatus.GOOD, s.preempt(a, 1, 2, PrType.WRITE_EXCLUSIVE, false, fx).status());
        assertEquals(PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS, s.type());
        assertTrue(s.isHolder(s.registrationOf(a)));
    }

    @Test
    void registerAndMoveRules() {
        registerAll();
        assertEquals(Verdict.CONFLICT, s.registerAndMove(a, 1, 9, "iqn.d,i,0x4", "iqn.t,t,0x1", 1, false, false, fx),
                "no reservation to move");
        s.reserve(a, 1, PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS);
        assertEquals(Verdict.CONFLICT, s.registerAndMove(a, 1, 9, "iqn.d,i,0x4", "iqn.t,t,0x1", 1, false, false, fx),
                "all-registrants reservations cannot move");
        s.release(a, 1, PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS, fx);
        s.reserve(a, 1, PrType.WRITE_EXCLUSIVE);
        assertEquals(Verdict.CONFLICT, s.registerAndMove(b, 2, 9, "iqn.d,i,0x4", "iqn.t,t,0x1", 1, false, false, fx),
                "only the holder moves it");
        assertEquals(ScsiStatus.CHECK_CONDITION,
                s.registerAndMove(a, 1, 0, "iqn.d,i,0x4", "iqn.t,t,0x1", 1, false, false, fx).status());
        long gen = s.generation();
        assertEquals(Verdict.GOOD, s.registerAndMove(a, 1, 9, "iqn.d,i,0x4", "iqn.t,t,0x1", 1, false, false, fx));
        assertEquals(9, s.holder().key());
        assertEquals("iqn.d,i,0x4", s.holder().initiatorPort());
        assertEquals(4, s.registrations().size(), "source stays registered without UNREG");
        assertEquals(gen + 1, s.generation());
        // Moving to a registered nexus keeps that nexus's key.
        assertEquals(Verdict.GOOD, s.registerAndMove(
                core.openNexus("iqn.t", "iqn.d,i,0x4", "iqn.t,t,0x1", 1, false), 9, 7, "iqn.b,i,0x2", "iqn.t,t,0x1",
                1, true, false, fx));
        assertEquals(2, s.holder().key());
        assertEquals(3, s.registrations().size());
    }

    @Test
    void spc2ReservationsAreKeyedByNexusAndEndWithIt() {
        assertEquals(Verdict.GOOD, s.reserveSpc2(a));
        assertEquals(Verdict.CONFLICT, s.reserveSpc2(b));
        s.nexusLost(b.name());
        assertEquals(a.name(), s.spc2Holder());
        s.nexusLost(a.name());
        assertNull(s.spc2Holder());
        s.reserveSpc2(b);
        s.reset();
        assertNull(s.spc2Holder());
    }
}
