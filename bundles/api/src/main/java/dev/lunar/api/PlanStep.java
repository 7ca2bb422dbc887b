package dev.lunar.api;

import java.util.Map;

/**
 * One change an apply makes. Property maps are redacted: secrets appear as {@code ********}.
 *
 * @param action what happens to the object
 * @param kind object kind
 * @param name object name
 * @param before properties before (empty for CREATE)
 * @param after properties after (empty for DELETE)
 */
public record PlanStep(Action action, ObjectKind kind, String name, Map<String, String> before,
        Map<String, String> after) {

    public enum Action { CREATE, UPDATE, DELETE }
}
