package dev.lunar.iscsi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The session's ITT table against a HashMap model, including the probe chains deletion must keep. */
class TaskTableTest {

    @Test
    void behavesLikeAMapUnderRandomTraffic() {
        TaskTable<String> table = new TaskTable<>();
        Map<Integer, String> model = new HashMap<>();
        Random random = new Random(7);
        for (int step = 0; step < 200_000; step++) {
            // A small key space forces collisions, long probe chains and wrap-around at the end.
            int itt = random.nextInt(3) == 0 ? random.nextInt(64) : 0x100 + random.nextInt(300);
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    String task = "t" + step; // one object: the table removes by identity
                    assertEquals(model.put(itt, task), table.put(itt, task));
                }
                case 2 -> {
                    String current = model.get(itt);
                    String which = current != null && random.nextBoolean() ? current : "other";
                    assertEquals(model.remove(itt, which), table.remove(itt, which));
                }
                default -> assertEquals(model.get(itt), table.get(itt));
            }
            assertEquals(model.size(), table.size());
        }
        for (Map.Entry<Integer, String> e : model.entrySet()) {
            assertEquals(e.getValue(), table.get(e.getKey()));
        }
        List<String> seen = List.of(table.snapshot(String[]::new));
        assertEquals(model.size(), seen.size());
        assertTrue(model.values().containsAll(seen));
    }

    @Test
    void removeTakesOnlyTheGivenTask() {
        TaskTable<String> table = new TaskTable<>();
        table.put(0x1234, "a");
        assertFalse(table.remove(0x1234, "b"), "a newer task under the same ITT stays");
        assertSame("a", table.get(0x1234));
        assertTrue(table.remove(0x1234, "a"));
        assertNull(table.get(0x1234));
        assertEquals(0, table.size());
    }

    @Test
    void growsPastItsFirstSizeAndClears() {
        TaskTable<String> table = new TaskTable<>();
        for (int i = 0; i < 1000; i++) {
            table.put(-i, "t" + i);
        }
        assertEquals(1000, table.size());
        assertEquals("t999", table.get(-999));
        assertTrue(table.anyMatch("t500"::equals));
        table.clear();
        assertEquals(0, table.size());
        assertArrayEquals(new String[0], table.snapshot(String[]::new));
        assertFalse(table.containsKey(0));
        assertThrows(IllegalArgumentException.class, () -> table.put(1, null));
    }
}
