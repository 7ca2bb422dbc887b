package dev.lunar.transport.tcp.internal;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import java.nio.ByteBuffer;

/**
 * Direct memory a {@code DataBuffer} lends for one send, as a Netty buffer that never frees it.
 * {@code Unpooled.wrappedBuffer} does the same but slices the view once more (one more
 * {@code DirectByteBuffer} per Data-In PDU); a view that starts at position 0 needs no slice.
 */
final class BorrowedDirectByteBuf extends UnpooledUnsafeDirectByteBuf {

    private BorrowedDirectByteBuf(ByteBuffer view) {
        // slice = false; the memory is not freed on release (the DataBuffer owns it).
        super(UnpooledByteBufAllocator.DEFAULT, false, view, view.remaining());
    }

    /** Whether {@link #of} can take {@code view} as it is. */
    static boolean fits(ByteBuffer view) {
        return view.isDirect() && !view.isReadOnly() && view.position() == 0;
    }

    /** A buffer over {@code view}'s bytes {@code [0, limit)}; requires {@link #fits}. */
    static BorrowedDirectByteBuf of(ByteBuffer view) {
        return new BorrowedDirectByteBuf(view);
    }
}
