/**
 * The iSCSI login phase, target side (RFC 7143 §6, §12, §13): pure logic with no PDUs, no OSGi and
 * no Netty, so every rule is unit tested.
 *
 * <p>The session layer decodes each Login Request into a {@link dev.lunar.iscsi.internal.login.LoginRequest},
 * hands it to the connection's {@link dev.lunar.iscsi.internal.login.LoginNegotiator} and sends the
 * {@link dev.lunar.iscsi.internal.login.LoginStep}'s response. It answers the negotiator's questions
 * through {@link dev.lunar.iscsi.internal.login.LoginContext} (targets, transport limits, portal,
 * session table). Discovery's SendTargets is answered by
 * {@link dev.lunar.iscsi.internal.login.SendTargetsResponder}.
 *
 * <p>Inside: {@code SecurityNegotiation} runs AuthMethod and CHAP, {@code OperationalNegotiation}
 * holds the key table (kind, result function, range of every RFC 7143 §13 key) and the values
 * agreed so far. Not exported: the package is internal to the iscsi bundle.
 */
package dev.lunar.iscsi.internal.login;
