/**
 * The iSCSI target engine (RFC 7143), independent of OSGi: {@link dev.lunar.iscsi.internal.IscsiEngine}
 * holds targets, portals and sessions; {@link dev.lunar.iscsi.internal.IscsiConnection} runs one
 * connection through login (driven by the {@code login} package's negotiator), full feature phase
 * and logout; {@link dev.lunar.iscsi.internal.Session} owns the CmdSN window and the tasks;
 * {@link dev.lunar.iscsi.internal.IscsiTask} is the SCSI core's view of one command. The
 * {@code osgi} package adapts it to Declarative Services.
 *
 * <p>Threading: a session (MaxConnections 1) lives on its connection's I/O thread; calls from the
 * SCSI core hop there through the connection's executor. Nothing here blocks.
 *
 * <p>Copies per byte in this bundle (DESIGN.md §3.2):
 * <ul>
 *   <li>Data-In: 0. The device server's buffer is cut into PDUs with {@code retainedSlice}; the
 *       transport sends the slices and releases them.</li>
 *   <li>Data-Out: 0 when a receive request of the SCSI core lies within one PDU's data segment
 *       (it gets a slice of the transport's buffer); 1 when it spans PDUs (assembled once into a
 *       buffer from the connection's allocator).</li>
 *   <li>Control PDUs (login and text keys, sense, Reject headers): small heap copies.</li>
 * </ul>
 *
 * <p>Memory bounds (DESIGN.md §3.4, §3.7): at most {@code queueDepth} tasks per session (MaxCmdSN
 * follows the free slots), at most {@code maxSolicitedBytes} of R2T-solicited Data-Out in flight
 * per session, unsolicited data bounded by FirstBurstLength per task, text bounded by
 * {@code maxTextBytes}. On top of that the session counts the data it holds
 * ({@link dev.lunar.iscsi.internal.Session#memoryHeld}): Data-Out not yet taken by the SCSI core,
 * Data-In held back while the connection is not writable, and Data-In queued in the transport
 * until its send completion. At {@code maxSessionBytes} MaxCmdSN stops advancing, so the window
 * closes once ExpCmdSN catches up (it may never shrink below what was advertised, RFC 7143
 * §4.2.2.1); when memory comes back a NOP-In (ITT and TTT 0xffffffff) announces the new MaxCmdSN.
 * The worst case per session is therefore {@code maxSessionBytes} plus what the commands already
 * admitted can bring: one window of FirstBurstLength and the data of the running tasks.
 *
 * <p>Backpressure: while the transport reports the connection not writable
 * ({@code ConnectionListener.writabilityChanged}) tasks produce no Data-In PDUs and no R2Ts and
 * reading from the wire pauses; reading also pauses while buffered Data-Out exceeds the budget,
 * unless some of it can only drain by reading more (a CmdSN gap, a partly arrived request).
 */
package dev.lunar.iscsi.internal;
