package dev.lunar.scsi.internal.command;

/**
 * Runs the steps of a sequential multi-I/O command (one backend I/O per step, the next step
 * started from the I/O's completion) without growing the stack when a backend completes inline,
 * as in-memory backends do: a completion that arrives while a step is still running only marks
 * that another step is due, and the running loop takes it.
 *
 * <p>The step itself decides when to stop (it simply does not issue another I/O). Steps never run
 * concurrently; state they share needs no locking beyond this object's monitor, which orders them.
 */
public final class StepLoop {

    private final Runnable step;
    // Guarded by "this".
    private boolean running;
    private boolean due;

    public StepLoop(Runnable step) {
        this.step = step;
    }

    /** Starts the first step. */
    public static StepLoop start(Runnable step) {
        StepLoop l = new StepLoop(step);
        l.next();
        return l;
    }

    /** Runs the next step now, or lets the loop already running on this or another thread run it. */
    public void next() {
        synchronized (this) {
            due = true;
            if (running) {
                return;
            }
            running = true;
        }
        while (true) {
            synchronized (this) {
                if (!due) {
                    running = false;
                    return;
                }
                due = false;
            }
            try {
                step.run();
            } catch (RuntimeException e) {
                synchronized (this) {
                    running = false;
                }
                throw e;
            }
        }
    }
}
