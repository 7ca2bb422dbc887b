/**
 * Lunar's run-time numbers for monitoring systems, read from the api services
 * ({@code TargetService}, {@code LunService}); nothing here touches the data path.
 *
 * <p><b>JMX</b> (always on; Karaf's JMX connector serves the platform MBeanServer, its
 * jmx.acl.cfg applies: attributes need viewer, operations admin):
 * <ul>
 * <li>{@code dev.lunar:type=Lunar} — operations {@code killSession(tsih, reason)} (waits up to 15 s
 *     for the session to end) and {@code moveConnections(fromKind, toKind, tsih)} (tsih 0: all);</li>
 * <li>{@code dev.lunar:type=Target,name=<config name>} — Iqn, Auth, Sessions;</li>
 * <li>{@code dev.lunar:type=Lun,target="<iqn>",lun=<n>} and {@code dev.lunar:type=Session,tsih=<n>}
 *     — Reads, Writes, OtherCommands, BytesRead, BytesWritten, Errors, Read/WriteLatencyP50/P99Micros
 *     (sessions also {@code kill(reason)});</li>
 * <li>{@code dev.lunar:type=Transport,kind=<kind>,bundle="<bsn version>"} — Wire, Bundle, Portals,
 *     Connections.</li>
 * </ul>
 * The set of MBeans follows sessions and configuration every {@code jmxRefreshSeconds} (5).
 *
 * <p><b>Prometheus</b> (off until {@code prometheusPort} is set in {@code etc/dev.lunar.metrics.cfg};
 * {@code prometheusAddress} defaults to 127.0.0.1 and a non-loopback address needs
 * {@code allowRemote=true}, since the endpoint has no authentication): {@code GET /metrics} serves
 * {@code lunar_target_sessions}, {@code lunar_transport_connections}, {@code lunar_transport_portals},
 * and per LUN ({@code lunar_lun_*}, labels target, lun, name) and per session
 * ({@code lunar_session_*}, labels tsih, initiator, target): {@code reads_total},
 * {@code writes_total}, {@code other_commands_total}, {@code read_bytes_total},
 * {@code written_bytes_total}, {@code errors_total}, and the histograms
 * {@code read_latency_seconds} / {@code write_latency_seconds} ({@code _bucket}, {@code _sum},
 * {@code _count}; buckets 10 µs .. 10 s in 1-2-5 steps).
 *
 * <p>What the counters mean (the same in both bundles, {@code IoStatsRecorder}): reads are READ
 * 6/10/12/16; writes are WRITE, WRITE AND VERIFY, WRITE SAME, ORWRITE, COMPARE AND WRITE, UNMAP and
 * WRITE ATOMIC; everything else is "other". Errors are CHECK CONDITION other than UNIT ATTENTION, plus
 * aborted commands. LUN latency runs from the task's arrival at the SCSI device server to its
 * status; session latency from the SCSI Command PDU's arrival to the SCSI Response being sent.
 */
package dev.lunar.metrics.internal;
