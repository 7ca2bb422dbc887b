package dev.lunar.shell.internal;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import dev.lunar.api.LunStats;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Run-time LUN answers set by the test; a null list throws {@link UnsupportedOperationException}. */
final class FakeLunService implements LunService {

    List<LunInfo> luns = new ArrayList<>();
    /** Asked on every call, so a test can hand out successive samples. */
    Supplier<List<LunStats>> lunStats;
    List<BackendInfo> backends;

    @Override
    public List<LunInfo> luns() {
        return luns;
    }

    @Override
    public List<LunStats> lunStats() {
        if (lunStats == null) {
            throw new UnsupportedOperationException("LUN statistics are not counted yet");
        }
        return lunStats.get();
    }

    @Override
    public List<BackendInfo> backends() {
        if (backends == null) {
            throw new UnsupportedOperationException("backend listing is not available yet");
        }
        return backends;
    }
}
