package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code lunar:portal-add}: a new listening address. The address is always written (a portal's
 * file should say where it listens); other options left out are not, so the portal follows the
 * component's defaults (3260, tcp, TPGT 1).
 */
@Service
@Command(scope = "lunar", name = "portal-add", description = "Adds a portal (an address and port initiators connect to)")
public class PortalAddCommand implements Action {

    /** Literal loopback spellings; anything else may be reachable from the network. */
    private static final Set<String> LOOPBACK = Set.of("localhost", "::1", "[::1]");

    @Argument(index = 0, name = "name", required = true,
            description = "Configuration name (the file etc/dev.lunar.portal-NAME.cfg)")
    String name;

    @Option(name = "--address", description = "Address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    String address = "127.0.0.1";

    @Option(name = "--port", description = "Port (default 3260; 0: any free port)")
    Integer port;

    @Option(name = "--transport", description = "Transport kind (default tcp)")
    @Completion(TransportKindCompleter.class)
    String transport;

    @Option(name = "--tpgt", description = "Target portal group tag, 1 to 65535 (default 1)")
    Integer tpgt;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(ConfigPids.PORTAL_ADDRESS, address);
        if (port != null) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be from 0 to 65535, not " + port + ".");
            }
            properties.put(ConfigPids.PORTAL_PORT, port.toString());
        }
        if (transport != null) {
            properties.put(ConfigPids.PORTAL_TRANSPORT, transport);
        }
        if (tpgt != null) {
            // RFC 7143 §13.9: a 16-bit tag; the portal component refuses 0.
            if (tpgt < 1 || tpgt > 65535) {
                throw new IllegalArgumentException("--tpgt must be from 1 to 65535, not " + tpgt + ".");
            }
            properties.put(ConfigPids.PORTAL_TPGT, tpgt.toString());
        }
        lookup.service().create(ObjectKind.PORTAL, name, properties);
        String where = address + ":" + (port != null ? port : 3260);
        System.out.println("Portal " + name + " added on " + where + " (" + (transport != null ? transport : "tcp") + ").");
        if (!address.startsWith("127.") && !LOOPBACK.contains(address)) {
            // DESIGN.md §3.7: secure by default beyond loopback.
            System.out.println("Beyond loopback, targets without CHAP refuse logins on this portal unless their"
                    + " 'insecure' key is true; lunar:chap-set adds CHAP.");
        }
        return null;
    }
}
