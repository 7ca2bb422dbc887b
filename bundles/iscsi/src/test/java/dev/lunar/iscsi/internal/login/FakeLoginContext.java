package dev.lunar.iscsi.internal.login;

import dev.lunar.spi.transport.TransportLimits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A LoginContext with fields the tests set directly. */
final class FakeLoginContext implements LoginContext {

    final Map<String, TargetConfig> targets = new LinkedHashMap<>();
    final Map<String, List<String>> addresses = new LinkedHashMap<>();
    TransportLimits limits = new TransportLimits(16777215, 16777215, 16777215, false, false);
    boolean loopback = true;
    int portalGroupTag = 1;
    AuthConfig discoveryAuth = AuthConfig.none();
    SessionCheck sessionCheck = SessionCheck.NEW_SESSION;
    NegotiationDefaults defaults = NegotiationDefaults.standard();
    final List<String> checks = new ArrayList<>();

    FakeLoginContext add(TargetConfig target, String... targetAddresses) {
        targets.put(target.iqn(), target);
        addresses.put(target.iqn(), List.of(targetAddresses));
        return this;
    }

    @Override
    public TargetConfig target(String iqn) {
        return targets.get(iqn);
    }

    @Override
    public List<TargetConfig> targets() {
        return List.copyOf(targets.values());
    }

    @Override
    public TransportLimits transportLimits() {
        return limits;
    }

    @Override
    public boolean portalIsLoopback() {
        return loopback;
    }

    @Override
    public int portalGroupTag() {
        return portalGroupTag;
    }

    @Override
    public List<String> targetAddresses(String iqn) {
        return addresses.getOrDefault(iqn, List.of());
    }

    @Override
    public AuthConfig discoveryAuth() {
        return discoveryAuth;
    }

    @Override
    public SessionCheck checkSession(String initiatorName, long isid, int tsih, String targetIqn) {
        checks.add(initiatorName + "/" + Long.toHexString(isid) + "/" + tsih + "/" + targetIqn);
        return sessionCheck;
    }

    @Override
    public NegotiationDefaults defaults() {
        return defaults;
    }
}
