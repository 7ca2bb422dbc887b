package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * {@code lunar:chap-set}: CHAP credentials for a target (every initiator presents them; the target
 * switches to {@code auth=chap}), for one ACL (that initiator's own), or for discovery sessions.
 * A secret left off the command line is typed without echo, so it stays out of the history.
 */
@Service
@Command(scope = "lunar", name = "chap-set", description = "Sets CHAP credentials of a target, an ACL or discovery")
public class ChapSetCommand implements Action {

    @Option(name = "--target", description = "Target name or IQN")
    @Completion(TargetCompleter.class)
    String target;

    @Option(name = "--acl", description = "ACL name (credentials of that initiator only)")
    @Completion(AclNameCompleter.class)
    String acl;

    @Option(name = "--discovery", description = "Discovery sessions (SendTargets)")
    boolean discovery;

    @Option(name = "--user", required = true, description = "CHAP user the initiator presents")
    String user;

    @Option(name = "--secret", description = "Its secret; typed without echo when absent")
    String secret;

    @Option(name = "--mutual-user", description = "Mutual CHAP: the user the target presents to the initiator")
    String mutualUser;

    @Option(name = "--mutual-secret", description = "Mutual CHAP secret; typed without echo when absent")
    String mutualSecret;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    ConfigurationAdmin configAdmin;

    @Reference(optional = true)
    Session session;

    @Override
    public Object execute() throws Exception {
        // Karaf names the thread that runs a command "pipe-<command line>" and karaf.log prints
        // thread names: a secret given with --secret would be in every line logged meanwhile.
        Thread thread = Thread.currentThread();
        String threadName = thread.getName();
        thread.setName(withoutSecrets(threadName, secret, mutualSecret));
        try {
            return set();
        } finally {
            thread.setName(threadName);
        }
    }

    /** {@code text} with each non-empty secret replaced by {@code ********}. */
    static String withoutSecrets(String text, String... secrets) {
        String hidden = text;
        for (String s : secrets) {
            if (s != null && !s.isEmpty()) {
                hidden = hidden.replace(s, "********");
            }
        }
        return hidden;
    }

    private Object set() throws Exception {
        ChapScope scope = ChapScope.of(target, acl, discovery);
        if (mutualUser == null && mutualSecret != null) {
            throw new IllegalArgumentException("--mutual-secret needs --mutual-user.");
        }
        if (mutualUser != null && scope == ChapScope.DISCOVERY) {
            throw new IllegalArgumentException("Mutual CHAP for discovery sessions is not available in this version;"
                    + " set it per target or ACL.");
        }
        String chapSecret = ChapSecrets.given(secret, session, "CHAP secret");
        String targetSecret = mutualUser == null ? null : ChapSecrets.given(mutualSecret, session, "mutual secret");
        ChapSecrets.check(chapSecret, targetSecret, System.err);

        if (scope == ChapScope.DISCOVERY) {
            new DiscoveryChap(configAdmin).set(user, chapSecret);
            System.out.println("Discovery sessions now authenticate with CHAP user " + user + ".");
            return null;
        }
        ConfigLookup lookup = new ConfigLookup(configs);
        Map<String, String> set = new LinkedHashMap<>();
        set.put(ConfigPids.CHAP_USER, user);
        set.put(ConfigPids.CHAP_SECRET, chapSecret);
        List<String> remove = new ArrayList<>();
        if (mutualUser != null) {
            set.put(ConfigPids.MUTUAL_USER, mutualUser);
            set.put(ConfigPids.MUTUAL_SECRET, targetSecret);
        } else {
            remove.add(ConfigPids.MUTUAL_USER);
            remove.add(ConfigPids.MUTUAL_SECRET);
        }
        String mutual = mutualUser == null ? "" : " (mutual: " + mutualUser + ")";
        if (scope == ChapScope.TARGET) {
            String name = lookup.target(target).name();
            // Credentials without auth=chap would be stored but never asked for.
            set.put(ConfigPids.TARGET_AUTH, "chap");
            lookup.service().update(ObjectKind.TARGET, name, set, remove);
            System.out.println("Target " + name + " now requires CHAP user " + user + mutual + ".");
        } else {
            lookup.require(ObjectKind.ACL, acl);
            lookup.service().update(ObjectKind.ACL, acl, set, remove);
            System.out.println("ACL " + acl + " now authenticates with CHAP user " + user + mutual + ".");
        }
        return null;
    }
}
