/** /metrics in the Prometheus text exposition format (version 0.0.4). */
import { DROP_REASONS } from '@udpcam/protocol';
import type { Receiver } from '../receiver.js';

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Renders the receiver's counters; `clients` gives the MJPEG clients per camera id. */
export function renderMetrics(receiver: Receiver, clients: (camera: string) => number): string {
  const lines: string[] = [];
  /** Samples are [labels, value] or, for a summary's _sum and _count, [labels, value, suffix]. */
  const metric = (name: string, type: string, help: string, samples: [string, number, string?][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value, suffix = ''] of samples) lines.push(`${name}${suffix}${labels} ${value}`);
  };
  const cameras = [...receiver.cameras()];
  const label = (camera: string, extra = '') => `{camera="${escapeLabel(camera)}"${extra}}`;
  const stats = cameras.map((c) => [c, receiver.assembler.senderStats(c.sender)] as const);
  const now = receiver.clock();
  metric(
    'udpcam_frames_total',
    'counter',
    'Frames received whole.',
    cameras.map((c) => [label(c.camera), c.frames]),
  );
  metric(
    'udpcam_frame_bytes_total',
    'counter',
    'Bytes of frames received whole.',
    cameras.map((c) => [label(c.camera), c.bytes]),
  );
  metric(
    'udpcam_frames_dropped_total',
    'counter',
    'Partial frames dropped, by reason.',
    stats.flatMap(([c, s]) =>
      DROP_REASONS.map(
        (r) => [label(c.camera, `,reason="${r}"`), s?.droppedByReason[r] ?? 0] as [string, number],
      ),
    ),
  );
  metric(
    'udpcam_datagrams_total',
    'counter',
    'Datagrams received.',
    stats.map(([c, s]) => [label(c.camera), s?.datagrams ?? 0]),
  );
  metric(
    'udpcam_datagrams_malformed_total',
    'counter',
    'Malformed datagrams.',
    stats.map(([c, s]) => [label(c.camera), s?.malformed ?? 0]),
  );
  metric(
    'udpcam_chunks_duplicate_total',
    'counter',
    'Duplicate chunks.',
    stats.map(([c, s]) => [label(c.camera), s?.duplicateChunks ?? 0]),
  );
  metric(
    'udpcam_frames_recovered_total',
    'counter',
    'Frames rebuilt from parity datagrams (forward error correction).',
    stats.map(([c, s]) => [label(c.camera), s?.framesRecovered ?? 0]),
  );
  metric(
    'udpcam_datagrams_lost_total',
    'counter',
    'Data chunks that never arrived, as the chunk ids of recovered and dropped frames show.',
    stats.map(([c, s]) => [label(c.camera), s?.datagramsLost ?? 0]),
  );
  metric(
    'udpcam_parity_datagrams_total',
    'counter',
    'Parity datagrams received, needed or not.',
    stats.map(([c, s]) => [label(c.camera), s?.parityReceived ?? 0]),
  );
  metric(
    'udpcam_camera_online',
    'gauge',
    '1 while the camera sends frames.',
    cameras.map((c) => [label(c.camera), receiver.isOnline(c, now) ? 1 : 0]),
  );
  metric(
    'udpcam_camera_fps',
    'gauge',
    'Frames per second over the last 2 s.',
    cameras.map((c) => [label(c.camera), Number(c.frameRate.rate(now).toFixed(2))]),
  );
  metric(
    'udpcam_http_clients',
    'gauge',
    'MJPEG clients streaming.',
    cameras.map((c) => [label(c.camera), clients(c.camera)]),
  );
  const latency = cameras.flatMap((c) => {
    const p = c.latencyPercentiles();
    if (!p) return [];
    return [
      [label(c.camera, ',quantile="0.5"'), p.p50 / 1e6],
      [label(c.camera, ',quantile="0.95"'), p.p95 / 1e6],
      [label(c.camera, ',quantile="0.99"'), p.p99 / 1e6],
    ] as [string, number][];
  });
  metric(
    'udpcam_latency_seconds',
    'summary',
    'Capture to receive, from the timestamp in the JPEG (quantiles over the last 512 frames).',
    [
      ...latency,
      ...cameras.flatMap(
        (c) =>
          [
            [label(c.camera), c.latencySumUs / 1e6, '_sum'],
            [label(c.camera), c.latencyCount, '_count'],
          ] as [string, number, string][],
      ),
    ],
  );
  metric('udpcam_datagrams_refused_total', 'counter', 'Datagrams refused at the sender limit.', [
    ['', receiver.assembler.stats.refusedDatagrams],
  ]);
  const security = receiver.security.report();
  metric(
    'udpcam_datagrams_rejected_total',
    'counter',
    'Datagrams dropped before reassembly by a receiver with --key, by reason (any source, spoofed ones included).',
    Object.entries(security.rejectedByReason).map(([reason, n]) => [`{reason="${reason}"}`, n]),
  );
  metric('udpcam_datagrams_opened_total', 'counter', 'Protected datagrams that opened.', [
    ['', security.opened],
  ]);
  metric(
    'udpcam_datagrams_encrypted_total',
    'counter',
    'Protected datagrams that reached a receiver without --key (dropped).',
    [['', security.encrypted]],
  );
  metric('udpcam_secure_sessions', 'gauge', 'Protected sender sessions held.', [['', security.sessionsHeld]]);
  // Senders without a whole frame yet are no camera, but an operator should see them.
  const pending = [...receiver.assembler.senders()].filter(([, s]) => s.framesComplete === 0);
  metric('udpcam_pending_senders', 'gauge', 'Senders heard that have not completed a frame.', [
    ['', pending.length],
  ]);
  metric(
    'udpcam_pending_sender_datagrams_total',
    'counter',
    'Datagrams from senders that have not completed a frame.',
    pending.map(([sender, s]) => [`{sender="${escapeLabel(sender)}"}`, s.datagrams]),
  );
  metric(
    'udpcam_latency_implausible_total',
    'counter',
    "Frames whose capture stamp gave an implausible latency (the sender's clock is off).",
    cameras.map((c) => [label(c.camera), c.implausibleLatencies]),
  );
  return `${lines.join('\n')}\n`;
}
