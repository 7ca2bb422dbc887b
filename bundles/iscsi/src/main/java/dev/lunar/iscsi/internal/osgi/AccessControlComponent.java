package dev.lunar.iscsi.internal.osgi;

import dev.lunar.iscsi.internal.login.AccessControl;
import org.osgi.service.component.annotations.Component;

/**
 * Holds the bundle's one {@link AccessControl} table: {@link AclComponent}s write it,
 * {@link TargetComponent}s hand it to login through their {@code TargetConfig}. A service inside
 * this bundle only (its package is private); it has no configuration and never restarts while the
 * bundle runs, so the components referencing it statically do not either.
 */
@Component(service = AccessControlComponent.class, immediate = true)
public final class AccessControlComponent {

    private final AccessControl table = new AccessControl();

    /** The live table. */
    public AccessControl table() {
        return table;
    }
}
