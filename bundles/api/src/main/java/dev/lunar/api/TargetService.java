package dev.lunar.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The iSCSI side of Lunar: targets, portals and sessions. Provided by the iscsi bundle. */
@ProviderType
public interface TargetService {

    List<TargetInfo> targets();

    List<PortalInfo> portals();

    List<SessionInfo> sessions();
}
