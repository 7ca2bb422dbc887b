package dev.lunar.scsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.scsi.internal.target.AccessGrant;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeSet;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI half of one {@value ConfigPids#ACL} factory configuration: which LUNs of
 * {@value ConfigPids#ACL_TARGET} the initiator {@value ConfigPids#ACL_INITIATOR} sees
 * ({@value ConfigPids#ACL_LUNS}) and whether it may write them ({@value ConfigPids#ACL_READ_ONLY}).
 * The iscsi bundle consumes the same configuration for login admission and per-initiator CHAP;
 * the CHAP keys are ignored here. Its metatype lives there.
 *
 * <p>Changes are live ({@code @Modified}): open nexuses see the new LUN set and write protection
 * from their next command, with REPORTED LUNS DATA HAS CHANGED when their LUN set changed and
 * MODE PARAMETERS CHANGED when their write protection did.
 * Removing the entry does not end anybody's session.
 */
@Component(configurationPid = ConfigPids.ACL, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
public final class AclComponent {

    private static final Logger LOG = LoggerFactory.getLogger(AclComponent.class);

    private final DeviceServerCore core;
    private volatile Entry entry;

    /** One parsed configuration: the target it applies to and what it grants. */
    record Entry(String target, AccessGrant grant) {
    }

    @Activate
    public AclComponent(@Reference ScsiDeviceServerComponent server, Map<String, Object> properties) {
        this(server.core(), properties);
    }

    AclComponent(DeviceServerCore core, Map<String, Object> properties) {
        this.core = core;
        Entry e = parseFailClosed(properties);
        core.target(e.target()).putGrant(e.grant());
        this.entry = e;
        LOG.info("ACL {}: {} on {}: LUNs {}{}", e.grant().configName(), e.grant().initiator(), e.target(),
                e.grant().luns() == null ? "all" : e.grant().luns(), e.grant().readOnly() ? ", read-only" : "");
    }

    /** A changed entry applies to running nexuses at once (STYLE rule 8: no restart). */
    @Modified
    void modified(Map<String, Object> properties) {
        Entry next = parseFailClosed(properties);
        Entry old = entry;
        if (!old.target().equalsIgnoreCase(next.target())) {
            core.target(old.target()).removeGrant(old.grant().configName());
        }
        core.target(next.target()).putGrant(next.grant());
        entry = next;
        LOG.info("ACL {} changed: {} on {}: LUNs {}{}", next.grant().configName(), next.grant().initiator(),
                next.target(), next.grant().luns() == null ? "all" : next.grant().luns(),
                next.grant().readOnly() ? ", read-only" : "");
    }

    @Deactivate
    void deactivate() {
        Entry e = entry;
        core.target(e.target()).removeGrant(e.grant().configName());
        LOG.info("ACL {} removed ({} on {})", e.grant().configName(), e.grant().initiator(), e.target());
    }

    /**
     * As {@link #parse}, but an entry that names its target and initiator and is wrong otherwise
     * (a typo in {@code luns} or {@code readOnly}) still restricts: the initiator sees no LUN and
     * may write nothing until the entry is fixed. Failing the component instead would leave a
     * target whose only ACL it is open to every LUN, read-write, for the very initiator the entry
     * meant to restrict (DESIGN §3.7: secure by default).
     *
     * @throws IllegalArgumentException when the target or initiator is missing (nothing to restrict)
     */
    static Entry parseFailClosed(Map<String, ?> p) {
        try {
            return parse(p);
        } catch (IllegalArgumentException e) {
            String target = string(p, ConfigPids.ACL_TARGET);
            String initiator = string(p, ConfigPids.ACL_INITIATOR);
            if (target == null || initiator == null) {
                throw e;
            }
            LOG.error("{}; until it is fixed, {} sees no LUN of {}", e.getMessage(), initiator, target);
            return new Entry(target, new AccessGrant(configName(p), initiator, new TreeSet<>(), true));
        }
    }

    /**
     * Reads the keys of {@link ConfigPids#ACL}.
     *
     * @throws IllegalArgumentException with a sentence an admin can act on
     */
    static Entry parse(Map<String, ?> p) {
        String name = configName(p);
        String target = string(p, ConfigPids.ACL_TARGET);
        String initiator = string(p, ConfigPids.ACL_INITIATOR);
        if (target == null || initiator == null) {
            throw new IllegalArgumentException("ACL configuration " + name + " needs '" + ConfigPids.ACL_TARGET
                    + "' (a target IQN) and '" + ConfigPids.ACL_INITIATOR + "' (an initiator IQN)");
        }
        String readOnly = string(p, ConfigPids.ACL_READ_ONLY);
        if (readOnly != null && !readOnly.equalsIgnoreCase("true") && !readOnly.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("ACL configuration " + name + ": '" + ConfigPids.ACL_READ_ONLY
                    + "' must be true or false, not '" + readOnly + "'");
        }
        AccessGrant grant;
        try {
            grant = new AccessGrant(name, initiator, AccessGrant.parseLuns(string(p, ConfigPids.ACL_LUNS)),
                    Boolean.parseBoolean(readOnly));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ACL configuration " + name + ": " + e.getMessage(), e);
        }
        return new Entry(target, grant);
    }

    /** Karaf names factory configurations {@code <factoryPid>~<name>}; the name is what admins typed. */
    static String configName(Map<String, ?> p) {
        Object pid = p.get("service.pid");
        if (pid == null) {
            Object id = p.get("component.id");
            return id == null ? "acl" : id.toString();
        }
        String s = pid.toString();
        int tilde = s.indexOf('~');
        return tilde >= 0 ? s.substring(tilde + 1) : s;
    }

    private static String string(Map<String, ?> p, String key) {
        Object v = p.get(key);
        if (v == null) {
            return null;
        }
        // Config Admin may hand a multi-valued property as an array: luns = [0, 2]
        String s;
        if (v instanceof Object[] a) {
            s = String.join(",", Arrays.stream(a).map(String::valueOf).toList());
        } else if (v instanceof Collection<?> c) {
            s = String.join(",", c.stream().map(String::valueOf).toList());
        } else {
            s = v.toString();
        }
        s = s.trim();
        return s.isEmpty() ? null : s;
    }
}
