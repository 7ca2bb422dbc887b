package dev.lunar.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The SCSI side of Lunar at run time: logical units and their backends. Provided by the scsi bundle. */
@ProviderType
public interface LunService {

    List<LunInfo> luns();

    /** I/O counters per configured LUN. */
    List<LunStats> lunStats();

    /** Backend kinds bound now, with the LUNs open on each. */
    List<BackendInfo> backends();
}
