package dev.lunar.iscsi.internal.login;

import static dev.lunar.iscsi.internal.login.LoginTexts.INITIATOR;
import static dev.lunar.iscsi.internal.login.LoginTexts.TARGET;
import static dev.lunar.iscsi.internal.login.LoginTexts.pairs;
import static dev.lunar.iscsi.internal.login.LoginTexts.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextFormatException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SendTargetsResponderTest {

    private static final String OTHER = "iqn.2026-01.dev.lunar:disk1";

    private final FakeLoginContext ctx = new FakeLoginContext()
            .add(TargetConfig.of(TARGET), "127.0.0.1:3260,1", "[::1]:3260,1")
            .add(TargetConfig.of(OTHER), "127.0.0.1:3260,1");
    private final SendTargetsResponder responder = new SendTargetsResponder(ctx);

    private static SessionParameters session(SessionType type, String target) {
        return new SessionParameters(false, false, 1, true, true, 8192, 8192, 262144, 65536, 2, 20, 1, true, true, 0,
                type, INITIATOR, null, target, 1, null);
    }

    private static final SessionParameters DISCOVERY = session(SessionType.DISCOVERY, null);
    private static final SessionParameters NORMAL = session(SessionType.NORMAL, TARGET);

    @Test
    void allInDiscoveryListsEveryTarget() throws TextFormatException {
        assertEquals(List.of(new KeyValue("TargetName", TARGET), new KeyValue("TargetAddress", "127.0.0.1:3260,1"),
                new KeyValue("TargetAddress", "[::1]:3260,1"), new KeyValue("TargetName", OTHER),
                new KeyValue("TargetAddress", "127.0.0.1:3260,1")),
                pairs(responder.respond(text("SendTargets=All"), DISCOVERY)));
    }

    @Test
    void namedTargetInDiscovery() throws TextFormatException {
        assertEquals(List.of(new KeyValue("TargetName", OTHER), new KeyValue("TargetAddress", "127.0.0.1:3260,1")),
                pairs(responder.respond(text("SendTargets=" + OTHER), DISCOVERY)));
        assertEquals(List.of(), pairs(responder.respond(text("SendTargets=iqn.2026-01.dev.lunar:nope"), DISCOVERY)));
        assertEquals(List.of(), pairs(responder.respond(text("SendTargets="), DISCOVERY)));
    }

    @Test
    void normalSessionSeesOnlyItsTarget() throws TextFormatException {
        List<KeyValue> own = List.of(new KeyValue("TargetName", TARGET), new KeyValue("TargetAddress",
                "127.0.0.1:3260,1"),
                new KeyValue("TargetAddress", "[::1]:3260,1"));
        assertEquals(own, pairs(responder.respond(text("SendTargets="), NORMAL)));
        assertEquals(own, pairs(responder.respond(text("SendTargets=" + TARGET), NORMAL)));
        assertEquals(List.of(), pairs(responder.respond(text("SendTargets=" + OTHER), NORMAL)));
        assertEquals(List.of(new KeyValue("SendTargets", "Reject")), pairs(responder.respond(text("SendTargets=All"),
                NORMAL)));
    }

    @Test
    void onlyWholeTargetsWithinTheCap() throws TextFormatException {
        int first = ("TargetName=" + TARGET + "\0TargetAddress=127.0.0.1:3260,1\0TargetAddress=[::1]:3260,1\0").length();
        assertEquals(first, responder.respond(text("SendTargets=All"), DISCOVERY, first + 10).length);
        assertEquals(0, responder.respond(text("SendTargets=All"), DISCOVERY, first - 1).length);
    }

    @Test
    void manyTargetsStayBounded() throws TextFormatException {
        for (int i = 0; i < 10000; i++) {
            ctx.add(TargetConfig.of("iqn.2026-01.dev.lunar:bulk" + i), "127.0.0.1:3260,1");
        }
        byte[] response = responder.respond(text("SendTargets=All"), DISCOVERY, 65536);
        assertEquals(true, response.length <= 65536 && response.length > 60000);
        List<KeyValue> pairs = pairs(response);
        assertEquals("TargetAddress", pairs.get(pairs.size() - 1).key(), "the last target is complete");
    }

    @Test
    void otherKeys() throws TextFormatException {
        assertEquals(List.of(new KeyValue("X-com.example", "NotUnderstood"), new KeyValue("MaxBurstLength", "Reject")),
                pairs(responder.respond(text("X-com.example=1", "MaxBurstLength=512"), NORMAL)));
    }

    @Test
    void malformedRequests() {
        assertEquals(TextFormatException.Reason.DUPLICATE_KEY, assertThrows(TextFormatException.class,
                () -> responder.respond(text("SendTargets=All", "SendTargets=All"), DISCOVERY)).reason());
        assertEquals(TextFormatException.Reason.MALFORMED, assertThrows(TextFormatException.class,
                () -> responder.respond("SendTargets=All".getBytes(), DISCOVERY)).reason());
        assertEquals(TextFormatException.Reason.NOT_UTF8, assertThrows(TextFormatException.class,
                () -> responder.respond(new byte[] {'S', '=', (byte) 0xc0, 0}, DISCOVERY)).reason());
    }
}
