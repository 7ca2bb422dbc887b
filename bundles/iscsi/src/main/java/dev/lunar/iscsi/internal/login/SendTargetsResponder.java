package dev.lunar.iscsi.internal.login;

import dev.lunar.pdu.text.TextFormatException;
import java.util.Objects;

/**
 * Answers SendTargets text requests (RFC 7143 §13.3, Appendix C). Stateless; safe on any thread.
 */
public final class SendTargetsResponder {

    /** Default cap on one response: a bounded answer however many targets are configured. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

    private final LoginContext ctx;

    public SendTargetsResponder(LoginContext ctx) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
    }

    /**
     * The complete response text for a Text Request's (already accumulated) text. The caller splits
     * it across Text Responses with the C bit when it exceeds the initiator's MaxRecvDataSegmentLength.
     *
     * @throws TextFormatException when the request text is malformed (the caller answers with Reject)
     */
    public byte[] respond(byte[] requestText, SessionParameters session) throws TextFormatException {
        return respond(requestText, session, DEFAULT_MAX_RESPONSE_BYTES);
    }

    /** As {@link #respond(byte[], SessionParameters)}, listing only whole targets that fit in {@code maxBytes}. */
    public byte[] respond(byte[] requestText, SessionParameters session, int maxBytes) throws TextFormatException {
        throw new UnsupportedOperationException("SendTargets is being written");
    }
}
