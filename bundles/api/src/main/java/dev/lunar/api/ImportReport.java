package dev.lunar.api;

import java.util.List;

/**
 * The result of converting another target's configuration (LIO {@code saveconfig.json}).
 *
 * @param document what could be mapped, ready for {@link ConfigurationService#apply}
 * @param unmapped one sentence per thing that could not be mapped, naming it
 */
public record ImportReport(ConfigDocument document, List<String> unmapped) {
}
