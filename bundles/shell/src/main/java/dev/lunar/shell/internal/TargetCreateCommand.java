package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/** {@code lunar:target-create}: a new target configuration ({@code etc/dev.lunar.target-NAME.cfg}). */
@Service
@Command(scope = "lunar", name = "target-create", description = "Creates an iSCSI target")
public class TargetCreateCommand implements Action {

    @Argument(index = 0, name = "name", required = true,
            description = "Configuration name (the file etc/dev.lunar.target-NAME.cfg)")
    String name;

    @Option(name = "--iqn", required = true, description = "Target name, e.g. iqn.2026-11.dev.lunar:disk0")
    String iqn;

    @Option(name = "--alias", description = "TargetAlias sent to initiators at login")
    String alias;

    @Option(name = "--auth", description = "none (loopback portals only) or chap (needs --chap-user)")
    @Completion(value = StringsCompleter.class, values = {"none", "chap"})
    String auth = "none";

    @Option(name = "--chap-user", description = "With --auth chap: the CHAP user initiators present")
    String chapUser;

    @Option(name = "--chap-secret",
            description = "With --auth chap: its secret; typed without echo when absent (keeps it out of the history)")
    String chapSecret;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    Session session;

    @Override
    public Object execute() throws Exception {
        ConfigLookup lookup = new ConfigLookup(configs);
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(ConfigPids.TARGET_IQN, iqn);
        if (alias != null) {
            properties.put(ConfigPids.TARGET_ALIAS, alias);
        }
        if ("chap".equals(auth)) {
            if (chapUser == null) {
                throw new IllegalArgumentException("--auth chap needs --chap-user (and --chap-secret, or type it"
                        + " when asked); lunar:chap-set can add CHAP to a target later.");
            }
            String secret = ChapSecrets.given(chapSecret, session, "CHAP secret");
            ChapSecrets.check(secret, null, System.err);
            properties.put(ConfigPids.CHAP_USER, chapUser);
            properties.put(ConfigPids.CHAP_SECRET, secret);
        } else if (!"none".equals(auth)) {
            throw new IllegalArgumentException("--auth must be none or chap, not '" + auth + "'.");
        } else if (chapUser != null || chapSecret != null) {
            throw new IllegalArgumentException("--chap-user and --chap-secret need --auth chap.");
        }
        properties.put(ConfigPids.TARGET_AUTH, auth);
        lookup.service().create(ObjectKind.TARGET, name, properties);
        System.out.println("Target " + name + " (" + iqn + ") created.");
        return null;
    }
}
