/** /metrics in the Prometheus text exposition format (version 0.0.4). */
import { DROP_REASONS, type SenderStats } from '@udpcam/protocol';
import type { NackCounters } from '../nack/nack-tracker.js';
import type { ReceiverStats } from '../stats.js';

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The numeric fields of a sender's reassembly stats. */
type AssemblyCounter = {
  [K in keyof SenderStats]: SenderStats[K] extends number ? K : never;
}[keyof SenderStats];
/** Per-camera counters read from its sender's reassembly stats: name, field, help. */
const ASSEMBLY_COUNTERS: [string, AssemblyCounter, string][] = [
  ['udpcam_datagrams_total', 'datagrams', 'Datagrams received.'],
  ['udpcam_datagrams_malformed_total', 'malformed', 'Malformed datagrams.'],
  ['udpcam_chunks_duplicate_total', 'duplicateChunks', 'Duplicate chunks.'],
  [
    'udpcam_frames_recovered_total',
    'framesRecovered',
    'Frames rebuilt from parity datagrams (forward error correction).',
  ],
  [
    'udpcam_datagrams_lost_total',
    'datagramsLost',
    'Data chunks that never arrived, as the chunk ids of recovered and dropped frames show.',
  ],
  ['udpcam_parity_datagrams_total', 'parityReceived', 'Parity datagrams received, needed or not.'],
];

/** Per-camera retransmission counters, when the receiver asks (docs/protocol.md#nack): name, field, help. */
const NACK_COUNTERS: [string, keyof NackCounters, string][] = [
  ['udpcam_nacks_sent_total', 'nacksSent', 'Retransmission requests (NACK datagrams) sent to the camera.'],
  [
    'udpcam_datagrams_retransmitted_total',
    'retransmitsReceived',
    'Chunks asked for by NACK that then arrived.',
  ],
  [
    'udpcam_frames_saved_by_nack_total',
    'framesSaved',
    'Frames completed only thanks to a retransmitted chunk.',
  ],
];

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
  type Camera = (typeof cameras)[number];
  const perCamera = (name: string, type: string, help: string, value: (camera: Camera) => number) =>
    metric(
      name,
      type,
      help,
      cameras.map((c) => [label(c.id), value(c)]),
    );
  perCamera('udpcam_frames_total', 'counter', 'Frames received whole.', (c) => c.frames);
  perCamera('udpcam_frame_bytes_total', 'counter', 'Bytes of frames received whole.', (c) => c.bytes);
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
  for (const [name, key, help] of ASSEMBLY_COUNTERS) {
    perCamera(name, 'counter', help, (c) => c.assembly?.[key] ?? 0);
  }
  for (const [name, key, help] of stats.nack === null ? [] : NACK_COUNTERS) {
    perCamera(name, 'counter', help, (c) => c.nack?.[key] ?? 0);
  }
  perCamera('udpcam_camera_online', 'gauge', '1 while the camera sends frames.', (c) => (c.online ? 1 : 0));
  perCamera('udpcam_camera_fps', 'gauge', 'Frames per second over the last 2 s.', (c) =>
    Number(c.fps.toFixed(2)),
  );
  perCamera('udpcam_http_clients', 'gauge', 'MJPEG clients streaming.', (c) => clients(c.id));
  const quantiles = [
    ['0.5', 'p50'],
    ['0.95', 'p95'],
    ['0.99', 'p99'],
  ] as const;
  metric(
    'udpcam_latency_seconds',
    'summary',
    'Capture to receive, from the timestamp in the JPEG (quantiles over the last 512 frames).',
    // Each camera's quantiles, then its _sum and _count.
    cameras.flatMap(({ id, latencyUs: p, latencySumUs, latencyCount }): [string, number, string?][] => [
      ...(p
        ? quantiles.map(([q, key]): [string, number] => [label(id, `,quantile="${q}"`), p[key] / 1e6])
        : []),
      [label(id), latencySumUs / 1e6, '_sum'],
      [label(id), latencyCount, '_count'],
    ]),
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
    'udpcam_datagrams_late_parity_total',
    'counter',
    'Protected parity datagrams of frames already complete, dropped without opening.',
    [['', security.lateParity]],
  );
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
  perCamera(
    'udpcam_latency_implausible_total',
    'counter',
    "Frames whose capture stamp gave an implausible latency (the sender's clock is off).",
    (c) => c.implausibleLatencies,
  );
  return `${lines.join('\n')}\n`;
}
