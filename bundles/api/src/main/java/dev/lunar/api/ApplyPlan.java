package dev.lunar.api;

import java.util.List;

/**
 * The difference between the running configuration and a desired {@link ConfigDocument}: the
 * minimum set of changes, in an order that is safe to apply (targets and portals before the LUNs
 * and ACLs that refer to them on create; the reverse on delete). Empty when nothing changes.
 *
 * @param steps the changes
 * @param applied whether they were applied ({@code false} for a dry run)
 */
public record ApplyPlan(List<PlanStep> steps, boolean applied) {

    public boolean isEmpty() {
        return steps.isEmpty();
    }
}
