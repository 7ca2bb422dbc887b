package dev.lunar.backend.ramdisk.internal;

/**
 * One allocated 64 KiB page of a RAM disk: the slot in the page table points here from the first
 * write until an UNMAP or a shrink frees it. Writers lock the page (its monitor) so that writes to
 * the same page apply one after another; readers never lock it, they pin {@link #frame}.
 */
final class Page {

    /** The frame readers see; replaced by copy-on-write; written under the page's lock. */
    volatile Frame frame;

    /** Set under the lock when the page left its slot; a writer that finds it set looks again. */
    boolean dead;

    Page(Frame frame) {
        this.frame = frame;
    }
}
