package dev.lunar.scsi.internal.pr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AptplStoreTest {

    @TempDir
    Path dir;

    @Test
    void snapshotRoundTrips() throws Exception {
        AptplStore store = new AptplStore(dir.resolve("lun0"));
        Registration a = new Registration("iqn.a:x,i,0x1", "iqn.t,t,0x1", 1, false, 0xfedcba9876543210L);
        Registration b = new Registration("iqn.b:y,i,0x2", "iqn.t,t,0x2", 2, true, 0x2);
        store.save(new AptplStore.Snapshot(7, List.of(a, b), PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, 1)).get();
        assertFalse(Files.exists(dir.resolve("lun0").resolve(AptplStore.FILE + ".tmp")));
        AptplStore.Snapshot s = new AptplStore(dir.resolve("lun0")).load();
        assertEquals(7, s.generation());
        assertEquals(List.of(a, b), s.registrations());
        assertEquals(PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, s.type());
        assertEquals(1, s.holderIndex());
    }

    @Test
    void deletingRemovesTheFileAndLoadFindsNothing() throws Exception {
        AptplStore store = new AptplStore(dir);
        store.save(new AptplStore.Snapshot(1, List.of(), null, -1)).get();
        assertTrue(Files.exists(store.file()));
        store.save(null).get();
        assertFalse(Files.exists(store.file()));
        assertNull(store.load());
    }

    @Test
    void laterSavesWinInSubmissionOrder() throws Exception {
        AptplStore store = new AptplStore(dir);
        for (int i = 0; i < 50; i++) {
            store.save(new AptplStore.Snapshot(i, List.of(), null, -1));
        }
        store.save(new AptplStore.Snapshot(50, List.of(), null, -1)).get();
        assertEquals(50, store.load().generation());
    }

    @Test
    void inconsistentFilesAreSetAside() throws Exception {
        Files.writeString(dir.resolve(AptplStore.FILE),
                "lunar-persistent-reservations 1\ngeneration\t3\nreservation\t1\t0\n");
        assertNull(new AptplStore(dir).load(), "a holder index without registrations");
        assertTrue(Files.exists(dir.resolve(AptplStore.FILE + ".corrupt")));
        assertFalse(Files.exists(dir.resolve(AptplStore.FILE)));
    }
}
