/** /metrics in the Prometheus text exposition format (version 0.0.4). */
import { DROP_REASONS } from '@udpcam/protocol';
import type { ReceiverStats } from '../stats.js';

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Renders the receiver's counters; `clients` gives the MJPEG clients per camera id. */
export function renderMetrics(stats: ReceiverStats, clients: (camera: string) => number): string {
  const lines: string[] = [];
  /** Samples are [labels, value] or, for a summary's _sum and _count, [labels, value, suffix]. */
  const metric = (name: string, type: string, help: string, samples: [string, number, string?][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value, suffix = ''] of samples) lines.push(`${name}${suffix}${labels} ${value}`);
  };
  const { cameras, security } = stats;
  const label = (camera: string, extra = '') => `{camera="${escapeLabel(camera)}"${extra}}`;
  metric(
    'udpcam_frames_total',
    'counter',
    'Frames received whole.',
    cameras.map((c) => [label(c.id), c.frames]),
  );
  metric(
    'udpcam_frame_bytes_total',
    'counter',
    'Bytes of frames received whole.',
    cameras.map((c) => [label(c.id), c.bytes]),
  );
  metric(
    'udpcam_frames_dropped_total',
    'counter',
    'Partial frames dropped, by reason.',
    cameras.flatMap((c) =>
      DROP_REASONS.map(
        (r) => [label(c.id, `,reason="${r}"`), c.assembly?.droppedByReason[r] ?? 0] as [string, number],
      ),
    ),
  );
  metric(
    'udpcam_datagrams_total',
    'counter',
    'Datagrams received.',
    cameras.map((c) => [label(c.id), c.assembly?.datagrams ?? 0]),
  );
  metric(
    'udpcam_datagrams_malformed_total',
    'counter',
    'Malformed datagrams.',
    cameras.map((c) => [label(c.id), c.assembly?.malformed ?? 0]),
  );
  metric(
    'udpcam_chunks_duplicate_total',
    'counter',
    'Duplicate chunks.',
    cameras.map((c) => [label(c.id), c.assembly?.duplicateChunks ?? 0]),
  );
  metric(
    'udpcam_frames_recovered_total',
    'counter',
    'Frames rebuilt from parity datagrams (forward error correction).',
    cameras.map((c) => [label(c.id), c.assembly?.framesRecovered ?? 0]),
  );
  metric(
    'udpcam_datagrams_lost_total',
    'counter',
    'Data chunks that never arrived, as the chunk ids of recovered and dropped frames show.',
    cameras.map((c) => [label(c.id), c.assembly?.datagramsLost ?? 0]),
  );
  metric(
    'udpcam_parity_datagrams_total',
    'counter',
    'Parity datagrams received, needed or not.',
    cameras.map((c) => [label(c.id), c.assembly?.parityReceived ?? 0]),
  );
  metric(
    'udpcam_camera_online',
    'gauge',
    '1 while the camera sends frames.',
    cameras.map((c) => [label(c.id), c.online ? 1 : 0]),
  );
  metric(
    'udpcam_camera_fps',
    'gauge',
    'Frames per second over the last 2 s.',
    cameras.map((c) => [label(c.id), Number(c.fps.toFixed(2))]),
  );
  metric(
    'udpcam_http_clients',
    'gauge',
    'MJPEG clients streaming.',
    cameras.map((c) => [label(c.id), clients(c.id)]),
  );
  const latency = cameras.flatMap((c) => {
    const p = c.latencyUs;
    if (!p) return [];
    return [
      [label(c.id, ',quantile="0.5"'), p.p50 / 1e6],
      [label(c.id, ',quantile="0.95"'), p.p95 / 1e6],
      [label(c.id, ',quantile="0.99"'), p.p99 / 1e6],
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
            [label(c.id), c.latencySumUs / 1e6, '_sum'],
            [label(c.id), c.latencyCount, '_count'],
          ] as [string, number, string][],
      ),
    ],
  );
  metric('udpcam_datagrams_refused_total', 'counter', 'Datagrams refused at the sender limit.', [
    ['', stats.totals.refusedDatagrams],
  ]);
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
  const pending = stats.pendingSenders;
  metric('udpcam_pending_senders', 'gauge', 'Senders heard that have not completed a frame.', [
    ['', pending.length],
  ]);
  metric(
    'udpcam_pending_sender_datagrams_total',
    'counter',
    'Datagrams from senders that have not completed a frame.',
    pending.map((p) => [`{sender="${escapeLabel(p.sender)}"}`, p.datagrams]),
  );
  metric(
    'udpcam_latency_implausible_total',
    'counter',
    "Frames whose capture stamp gave an implausible latency (the sender's clock is off).",
    cameras.map((c) => [label(c.id), c.implausibleLatencies]),
  );
  return `${lines.join('\n')}\n`;
}
