package dev.lunar.api;

import java.util.List;

/**
 * What a live transport move did (DESIGN.md §3.5).
 *
 * @param moved connection ids now carried by the target kind
 * @param failed one sentence per connection that could not move (it stays where it was, or was
 *     closed if it could not be restored, and the sentence says which)
 */
public record MoveReport(List<String> moved, List<String> failed) {
}
