package dev.lunar.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The SCSI side of Lunar: logical units and their backends. Provided by the scsi bundle. */
@ProviderType
public interface LunService {

    List<LunInfo> luns();
}
