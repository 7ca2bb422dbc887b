package dev.lunar.iscsi.internal.login;

import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextCodec;
import dev.lunar.pdu.text.TextFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Answers SendTargets text requests (RFC 7143 §13.3 and Appendix C). Stateless; safe on any thread
 * as long as the {@link LoginContext} is.
 *
 * <ul>
 *   <li>{@code SendTargets=All}: discovery sessions only; every configured target with its
 *       addresses. In a normal session the answer is {@code SendTargets=Reject}.
 *   <li>Targets whose access control list does not admit the session's initiator are never
 *       listed, whatever was asked.
 *   <li>{@code SendTargets=<iqn>}: that target when it exists; in a normal session only the
 *       session's own target may be named (others yield nothing).
 *   <li>{@code SendTargets=} (empty): the session's own target in a normal session, nothing in a
 *       discovery session.
 * </ul>
 * Other keys are answered NotUnderstood (unknown, X-) or Reject (known keys that cannot be
 * negotiated by a Text Request here).
 */
public final class SendTargetsResponder {

    /** Default cap on one response: a bounded answer however many targets are configured. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

    static final String SEND_TARGETS = "SendTargets";

    private final LoginContext ctx;

    public SendTargetsResponder(LoginContext ctx) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
    }

    /**
     * The complete response text for a Text Request's (already accumulated) text. The caller splits
     * it across Text Responses with the C bit and a target transfer tag when it exceeds the
     * initiator's MaxRecvDataSegmentLength (RFC 7143 §11.11.2).
     *
     * @throws TextFormatException when the request text is malformed (the caller answers with Reject)
     */
    public byte[] respond(byte[] requestText, SessionParameters session) throws TextFormatException {
        return respond(requestText, session, DEFAULT_MAX_RESPONSE_BYTES);
    }

    /**
     * As {@link #respond(byte[], SessionParameters)}, listing only whole targets (name and all its
     * addresses) that fit in {@code maxBytes}; the rest are left out rather than cut in half.
     */
    public byte[] respond(byte[] requestText, SessionParameters session, int maxBytes) throws TextFormatException {
        List<KeyValue> request = TextCodec.decode(requestText, LoginNegotiator.MAX_LOGIN_TEXT_BYTES,
                LoginNegotiator.MAX_KEYS_PER_REQUEST);
        List<KeyValue> out = new ArrayList<>();
        int size = 0;
        for (KeyValue pair : request) {
            if (pair.key().equals(SEND_TARGETS)) {
                size = appendTargets(pair.value(), session, out, size, maxBytes);
            } else {
                KeyValue answer = new KeyValue(pair.key(), OperationalNegotiation.definition(pair.key()) == null
                        ? OperationalNegotiation.NOT_UNDERSTOOD : OperationalNegotiation.REJECT);
                size += TextCodec.encodedLength(answer);
                if (size <= maxBytes) {
                    out.add(answer);
                }
            }
        }
        return TextCodec.encode(out);
    }

    private int appendTargets(String value, SessionParameters session, List<KeyValue> out, int size, int maxBytes) {
        List<TargetConfig> targets = new ArrayList<>();
        if (value.equals("All")) {
            if (!session.discovery()) {
                // RFC 7143 Appendix C: All is for discovery sessions only
                KeyValue reject = new KeyValue(SEND_TARGETS, OperationalNegotiation.REJECT);
                out.add(reject);
                return size + TextCodec.encodedLength(reject);
            }
            targets.addAll(ctx.targets());
        } else {
            String wanted = value.isEmpty() ? session.targetName() : value;
            boolean visible = wanted != null
                    && (session.discovery() ? !value.isEmpty() : wanted.equals(session.targetName()));
            TargetConfig target = visible ? ctx.target(wanted) : null;
            if (target != null) {
                targets.add(target);
            }
        }
        for (TargetConfig target : targets) {
            if (!target.admission(session.initiatorName()).admitted()) {
                // list only targets this initiator may log in to (RFC 7143 §12.3, as LIO and tgt do)
                continue;
            }
            List<KeyValue> entry = new ArrayList<>();
            entry.add(new KeyValue("TargetName", target.iqn()));
            List<String> addresses = ctx.targetAddresses(target.iqn());
            if (addresses != null) {
                for (String address : addresses) {
                    entry.add(new KeyValue("TargetAddress", address));
                }
            }
            int entrySize = entry.stream().mapToInt(TextCodec::encodedLength).sum();
            if (size + entrySize > maxBytes) {
                break;
            }
            out.addAll(entry);
            size += entrySize;
        }
        return size;
    }
}
