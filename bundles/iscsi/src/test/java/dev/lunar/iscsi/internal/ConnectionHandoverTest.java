package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.MoveReport;
import dev.lunar.iscsi.internal.WireTransport.Wire;
import dev.lunar.iscsi.internal.login.TargetConfig;
import dev.lunar.pdu.Bhs;
import dev.lunar.pdu.LoginRequestPdu;
import dev.lunar.pdu.LoginResponsePdu;
import dev.lunar.pdu.Opcode;
import dev.lunar.pdu.ScsiCommandPdu;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.Pdu;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hand-over of live connections between transports (DESIGN.md §3.5) against transports with
 * real I/O threads ({@link WireTransport}): park at a PDU boundary, detach, adopt, grace expiry,
 * moves and their refusals.
 */
class ConnectionHandoverTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final RamDevice device = new RamDevice();
    private IscsiEngine engine;
    private ScheduledExecutorService timer;
    private ConnectionHandover handover;
    private final List<WireTransport> transports = new ArrayList<>();

    @BeforeEach
    void setUp() {
        engine = new IscsiEngine(EngineSettings.standard(), new SecureRandom(), clock::get);
        engine.setDeviceServer(device);
        engine.putTarget("disk0", TargetConfig.of(TestInitiator.TARGET));
        timer = Executors.newSingleThreadScheduledExecutor();
        // Only "tcp" has a portal in these tests.
        handover = new ConnectionHandover(engine, timer, "tcp"::equals, Duration.ofSeconds(30));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        handover.close();
        timer.shutdownNow();
        for (WireTransport t : transports) {
            t.shutdown();
        }
    }

    private WireTransport transport(String kind, String wire) {
        WireTransport t = new WireTransport(kind, wire);
        transports.add(t);
        handover.transportBound(t, kind, wire);
        return t;
    }

    /** A logged-in initiator on a wire accepted by {@code t}'s portal. */
    private final class Initiator {
        final Wire wire = new Wire();
        int cmdSn = 1;
        int expStatSn;
        int itt = 0x100;
        int tsih;

        final PortalBinding portal;

        Initiator(WireTransport t) throws Exception {
            portal = new PortalBinding("p-" + t.kind, new InetSocketAddress("127.0.0.1", 3260), 1,
                    t.limits(), t);
            ConnectionHandler handler = engine.handler(portal);
            t.accept(wire, handler);
            ByteBuffer h = Bhs.allocate(Opcode.LOGIN_REQUEST, true);
            Bhs.putFlags(h, LoginRequestPdu.FLAG_TRANSIT | 1 << 2 | 3);
            h.put(8, (byte) 0x23);
            h.put(13, (byte) 1);
            Bhs.putItt(h, itt++);
            Bhs.putU16(h, LoginRequestPdu.OFFSET_CID, 1);
            h.putInt(24, cmdSn);
            wire.send(TestInitiator.pdu(h, TestInitiator.text(TestInitiator.normalKeys())));
            Pdu r = wire.receive();
            assertNotNull(r, "no Login Response");
            assertEquals(0, LoginResponsePdu.statusClass(r.header()), TestInitiator.string(r));
            tsih = LoginResponsePdu.tsih(r.header());
            expStatSn = Bhs.sn(r.header()) + 1;
            r.release();
        }

        int command(byte[] cdb, boolean read, int edtl) {
            int tag = itt++;
            ByteBuffer h = Bhs.allocate(Opcode.SCSI_COMMAND, false);
            Bhs.putFlags(h, 0x80 | (read ? ScsiCommandPdu.FLAG_READ : 0) | 1);
            Bhs.putItt(h, tag);
            h.putInt(ScsiCommandPdu.OFFSET_EXPECTED_LENGTH, edtl);
            h.putInt(24, cmdSn++);
            h.putInt(28, expStatSn);
            h.put(ScsiCommandPdu.OFFSET_CDB, cdb);
            wire.send(TestInitiator.pdu(h, null));
            return tag;
        }

        /** PDUs received until every tag in {@code tags} has its status; returns the status tags in arrival order. */
        List<Integer> statuses(int count) throws InterruptedException {
            List<Integer> order = new ArrayList<>();
            while (order.size() < count) {
                Pdu p = wire.receive();
                assertNotNull(p, "status missing; got " + order);
                int op = p.opcode();
                boolean status = op == Opcode.SCSI_RESPONSE
                        || (op == Opcode.DATA_IN && (Bhs.flags(p.header()) & 1) != 0);
                if (status) {
                    order.add(Bhs.itt(p.header()));
                    expStatSn = Bhs.sn(p.header()) + 1;
                }
                p.release();
            }
            return order;
        }
    }

    private static byte[] testUnitReady() {
        return new byte[6];
    }

    private IscsiConnection onlyConnection() {
        List<IscsiConnection> all = engine.liveConnections();
        assertEquals(1, all.size(), "connections: " + all);
        return all.get(0);
    }

    @Test
    void departingTransportParksItsConnectionsAndTheSuccessorResumesThemWithTasksThatRanMeanwhile()
            throws Exception {
        WireTransport old = transport("tcp", "tcp");
        Initiator i = new Initiator(old);
        device.hold = true;
        int read1 = i.command(TestInitiator.read10(0, 1), true, 512);
        int read2 = i.command(TestInitiator.read10(1, 1), true, 512);
        old.sync();
        assertEquals(2, device.parked.size(), "both READs reached the SCSI core");

        handover.transportUnbinding(old);
        assertEquals(1, handover.parkedCount());
        assertTrue(onlyConnection().parked());

        // In-flight tasks finish while no transport carries the connection; a new command arrives.
        device.releaseHeld();
        int tur = i.command(testUnitReady(), false, 0);
        old.shutdown();
        assertTrue(i.wire.toInitiator.isEmpty(), "nothing may be sent while parked");
        assertEquals(1, i.wire.unreadCount(), "the new command waits unread on the wire");
        assertEquals(2, device.executedOpcodes.size());

        WireTransport successor = transport("tcp", "tcp");
        assertEquals(0, handover.parkedCount());
        // The responses that waited go first (they were produced first), then the new command's.
        assertEquals(List.of(read1, read2, tur), i.statuses(3));
        assertFalse(i.wire.closed);
        IscsiConnection c = onlyConnection();
        assertSame(successor, c.carrier());
        assertFalse(c.parked());
        assertEquals(1, engine.sessionInfos().size());
        assertEquals(i.tsih, engine.sessionInfos().get(0).tsih(), "same session after the hand-over");
        assertEquals(0, device.nexusesClosed, "the I_T nexus never ended");
        assertEquals(0, c.internalErrors);

        // And it keeps working on the successor.
        int again = i.command(testUnitReady(), false, 0);
        assertEquals(List.of(again), i.statuses(1));
    }

    @Test
    void aPduDeliveredAfterDetachStartedRunsOnTheAdopter() throws Exception {
        WireTransport old = transport("tcp", "tcp");
        Initiator i = new Initiator(old);
        old.deliverLateOnDetach = true;
        int tur = i.command(testUnitReady(), false, 0);
        old.sync();
        assertEquals(1, i.wire.unreadCount());

        handover.transportUnbinding(old);
        assertEquals(0, i.wire.unreadCount(), "the old transport delivered it while detaching");
        assertTrue(i.wire.toInitiator.isEmpty(), "and it was not processed while parked");
        WireTransport successor = transport("tcp", "tcp");
        assertEquals(List.of(tur), i.statuses(1));
        assertSame(successor, onlyConnection().carrier());
        int again = i.command(testUnitReady(), false, 0);
        assertEquals(List.of(again), i.statuses(1), "the connection stays on the adopter");
        assertEquals("tcp", i.wire.owner.transportKind());
        assertEquals(0, onlyConnection().internalErrors);
    }

    @Test
    void aPortalThatReListensKeepsItsHandedOverConnections() throws Exception {
        WireTransport old = transport("tcp", "tcp");
        Initiator i = new Initiator(old);
        handover.transportUnbinding(old);
        WireTransport successor = transport("tcp", "tcp");
        PortalBinding relistened = new PortalBinding("p-tcp", new InetSocketAddress("127.0.0.1", 3260), 1,
                successor.limits(), successor);
        relistened.inheritConnections(i.portal);
        assertEquals(1, relistened.connectionCount());
        assertEquals(0, i.portal.connectionCount());

        // Removing the portal now closes the connection it inherited.
        relistened.closeConnections("portal removed");
        successor.sync();
        assertTrue(i.wire.closed);
        assertEquals(0, relistened.connectionCount(), "a closed connection leaves its current portal");
    }

    @Test
    void parkedConnectionsAreClosedWhenNoSuccessorComesWithinTheGrace() throws Exception {
        WireTransport old = transport("tcp", "tcp");
        Initiator i = new Initiator(old);
        handover.transportUnbinding(old);
        old.shutdown();
        assertEquals(1, handover.parkedCount());

        handover.expire();
        assertEquals(1, handover.parkedCount(), "the grace has not ended yet");
        assertFalse(i.wire.closed);

        clock.addAndGet(TimeUnit.SECONDS.toNanos(31));
        handover.expire();
        assertEquals(0, handover.parkedCount());
        assertTrue(i.wire.closed, "the parked endpoint is closed");
        assertEquals(0, engine.connectionCount());
        assertTrue(engine.sessionInfos().isEmpty(), "the session ends as on connection loss at ERL 0");

        // A transport binding later finds nothing to adopt.
        transport("tcp", "tcp");
        assertTrue(i.wire.owner == null);
    }

    @Test
    void moveBetweenKindsOfEqualWireKeepsSessionAndConnection() throws Exception {
        WireTransport tcp = transport("tcp", "tcp");
        WireTransport vendor = transport("vendor", "tcp");
        Initiator i = new Initiator(tcp);

        MoveReport report = handover.move("tcp", "vendor", Optional.empty());
        assertEquals(1, report.moved().size(), report.toString());
        assertTrue(report.failed().isEmpty(), report.toString());
        assertSame(vendor, onlyConnection().carrier());
        int tur = i.command(testUnitReady(), false, 0);
        assertEquals(List.of(tur), i.statuses(1));
        assertEquals("vendor", i.wire.owner.transportKind(), "the wire is read by the vendor transport now");
        assertEquals("vendor", engine.sessionInfos().get(0).transport());
        assertEquals(i.tsih, engine.sessionInfos().get(0).tsih());

        // Only that session's connections, by TSIH; an unknown TSIH moves nothing.
        MoveReport none = handover.move("vendor", "tcp", Optional.of(i.tsih + 1));
        assertTrue(none.moved().isEmpty());
        MoveReport back = handover.move("vendor", "tcp", Optional.of(i.tsih));
        assertEquals(1, back.moved().size());
        assertSame(tcp, onlyConnection().carrier());
    }

    @Test
    void movesBetweenUnequalWiresOrUnknownKindsAreRefusedWithAReason() throws Exception {
        transport("tcp", "tcp");
        transport("iser", "rdma");
        IllegalArgumentException wires = assertThrows(IllegalArgumentException.class,
                () -> handover.move("tcp", "iser", Optional.empty()));
        assertTrue(wires.getMessage().contains("wire"), wires.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> handover.move("tcp", "toe", Optional.empty()));
        assertTrue(unknown.getMessage().contains("'toe'"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> handover.move("tcp", "tcp", Optional.empty()));
    }

    @Test
    void aTransportThatCannotDetachKeepsItsConnectionWorking() throws Exception {
        WireTransport tcp = transport("tcp", "tcp");
        transport("vendor", "tcp");
        Initiator i = new Initiator(tcp);
        tcp.refuseDetach = true;

        MoveReport report = handover.move("tcp", "vendor", Optional.empty());
        assertTrue(report.moved().isEmpty());
        assertEquals(1, report.failed().size());
        assertTrue(report.failed().get(0).contains("stays on tcp"), report.failed().get(0));
        int tur = i.command(testUnitReady(), false, 0);
        assertEquals(List.of(tur), i.statuses(1), "the connection still answers on its transport");
        assertSame(tcp, onlyConnection().carrier());
    }

    @Test
    void connectionsOfAKindNoPortalUsesGoToABoundTransportOfTheSameWire() throws Exception {
        WireTransport tcp = transport("tcp", "tcp");
        WireTransport vendor = transport("vendor", "tcp");
        Initiator i = new Initiator(tcp);
        handover.move("tcp", "vendor", Optional.empty());

        // The vendor bundle goes away: no portal uses "vendor", so tcp adopts at once.
        handover.transportUnbinding(vendor);
        assertEquals(0, handover.parkedCount());
        assertSame(tcp, onlyConnection().carrier());
        int tur = i.command(testUnitReady(), false, 0);
        assertEquals(List.of(tur), i.statuses(1));
    }
}
