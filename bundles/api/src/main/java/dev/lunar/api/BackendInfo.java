package dev.lunar.api;

import java.util.List;

/**
 * A backend kind available in this instance.
 *
 * @param kind the kind LUNs name (e.g. {@code ramdisk}, {@code file})
 * @param bundle symbolic name and version of the bundle providing it
 * @param luns names of the LUNs open on it
 */
public record BackendInfo(String kind, String bundle, List<String> luns) {
}
