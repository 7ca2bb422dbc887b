package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A real initiator (libiscsi) discovers the default target of a fresh distribution. */
class IscsiDiscoveryE2EIT extends LunarE2ETest {

    @Test
    void iscsiLsListsTheDefaultTarget() {
        // iscsi-ls logs in for discovery (SendTargets, RFC 7143 §12.3 / Appendix C) and prints
        // each target as "Target:<iqn> Portal:<address>".
        String output = assertSucceeded(runIscsiTool("iscsi-ls", lunar.iscsiUrl("")));

        assertTrue(output.contains(DEFAULT_TARGET), () -> "iscsi-ls did not list " + DEFAULT_TARGET + ":\n" + output);
    }
}
