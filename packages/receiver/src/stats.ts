/**
 * The receiver's figures at one moment, computed in one place: the HTTP views, /metrics and the
 * CLI's status lines all read this snapshot instead of the assembler and camera objects (issue 12).
 */
import { DROP_REASONS, type DropReason, type FrameAssembler, type SenderStats } from '@udpcam/protocol';
import type { CameraState } from './camera-state.js';
import type { NackChannel } from './nack/nack-channel.js';
import type { NackCounters } from './nack/nack-tracker.js';
import type { RejectCounts, SecureGate, SecurityReport } from './secure-gate.js';

/** Capture → receive latency percentiles over a camera's last 512 stamped frames (µs). */
export type LatencyPercentiles = Record<'p50' | 'p95' | 'p99' | 'max', number>;

/** One camera's figures. */
export interface CameraStats {
  /** Its name, or its address made safe for paths and URLs; `named` when a name. */
  id: string;
  named: boolean;
  /** The sender key ("address:port") its frames come from now. */
  sender: string;
  /** A frame came within the receiver's offlineAfterMs. */
  online: boolean;
  /** Frames received whole and their bytes; per second over the last ~2 s. */
  frames: number;
  bytes: number;
  fps: number;
  bytesPerSecond: number;
  /** Wall-clock time of the last frame, µs since the epoch (0: none yet). */
  lastFrameUs: number;
  /** Latency (µs) of the last stamped frame, percentiles, and the sum and count of all. */
  lastLatencyUs: number | undefined;
  latencyUs: LatencyPercentiles | undefined;
  latencySumUs: number;
  latencyCount: number;
  /** Frames whose capture stamp was implausible (the sender's clock is off); not in latency. */
  implausibleLatencies: number;
  /** Reassembly counters of its current sender (undefined once the assembler forgot it). */
  assembly: Readonly<SenderStats> | undefined;
  /** Datagrams from its sender that a receiver with --key refused, by reason (undefined: none). */
  rejectedDatagrams: Readonly<RejectCounts> | undefined;
  /** Retransmission requests to its sender (docs/protocol.md#nack); null when the receiver does not ask. */
  nack: NackCounters | null;
}

/** A sender heard that never completed a frame: no camera yet, but worth seeing. */
export interface PendingSender extends Pick<SenderStats, 'datagrams' | 'malformed' | 'framesDropped'> {
  sender: string;
}

/** Per-sender counters summed over the senders tracked now. */
const SUMMED = [
  'datagrams',
  'bytes',
  'framesDropped',
  'malformed',
  'duplicateChunks',
  'framesRecovered',
  'datagramsLost',
  'parityReceived',
] as const;

/** Sums over the senders tracked now (datagram bytes include headers), and receiver-wide counters. */
export type ReceiverTotals = Record<(typeof SUMMED)[number], number> & {
  /** Senders tracked now. */
  senders: number;
  /** Frames and frame bytes since the start: they never go down when a sender is forgotten. */
  frames: number;
  frameBytes: number;
  droppedByReason: Record<DropReason, number>;
  /** Datagrams refused at the sender limit; idle senders forgotten to make room. */
  refusedDatagrams: number;
  sendersForgotten: number;
  /** Datagrams from senders outside --allow. */
  notAllowed: number;
  /** Partial frames held now, and their bytes. */
  framesInFlight: number;
  bufferedBytes: number;
  /** Reassembly holds something the expiry timer must reclaim (partial or held frames). */
  expiryPending: boolean;
};

/** The receiver's figures at `atMs` (its clock). */
export interface ReceiverStats {
  atMs: number;
  /** Every camera, in the order they first sent a frame. */
  cameras: CameraStats[];
  pendingSenders: PendingSender[];
  totals: ReceiverTotals;
  security: SecurityReport;
  /** NACK counters summed over the senders tracked now; null when the receiver does not ask. */
  nack: NackCounters | null;
}

/** What `receiverStats` reads; the Receiver owns all of it. */
export interface StatsSources {
  assembler: FrameAssembler;
  cameras: Iterable<CameraState>;
  security: SecureGate;
  nack?: NackChannel;
  counters: { frames: number; frameBytes: number; notAllowed: number };
  offlineAfterMs: number;
}

/** Builds the snapshot at `nowMs`. */
export function receiverStats(from: StatsSources, nowMs: number): ReceiverStats {
  const { assembler, security } = from;
  const totals: ReceiverTotals = {
    ...(Object.fromEntries(SUMMED.map((key) => [key, 0])) as Record<(typeof SUMMED)[number], number>),
    ...from.counters,
    senders: 0,
    droppedByReason: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    ...assembler.stats,
    framesInFlight: assembler.framesInFlight,
    bufferedBytes: assembler.bufferedBytes,
    expiryPending: assembler.needsExpiry,
  };
  const pendingSenders: PendingSender[] = [];
  for (const [sender, s] of assembler.senders()) {
    totals.senders++;
    for (const key of SUMMED) totals[key] += s[key];
    for (const reason of DROP_REASONS) totals.droppedByReason[reason] += s.droppedByReason[reason];
    const { framesComplete, datagrams, malformed, framesDropped } = s;
    if (framesComplete === 0) pendingSenders.push({ sender, datagrams, malformed, framesDropped });
  }
  const cameras = [...from.cameras].map(
    (camera): CameraStats => ({
      id: camera.camera,
      named: camera.named,
      sender: camera.sender,
      online: nowMs - camera.lastFrameAt <= from.offlineAfterMs,
      frames: camera.frames,
      bytes: camera.bytes,
      fps: camera.frameRate.rate(nowMs),
      bytesPerSecond: camera.byteRate.rate(nowMs),
      lastFrameUs: camera.lastFrameUs,
      lastLatencyUs: camera.lastLatencyUs,
      latencyUs: camera.latencyPercentiles(),
      latencySumUs: camera.latencySumUs,
      latencyCount: camera.latencyCount,
      implausibleLatencies: camera.implausibleLatencies,
      assembly: structuredClone(assembler.senderStats(camera.sender)),
      rejectedDatagrams: structuredClone(security.rejectedFrom(camera.sender)),
      nack: from.nack?.counters(camera.sender) ?? null,
    }),
  );
  const nack = from.nack?.tracker.totals() ?? null;
  return { atMs: nowMs, cameras, pendingSenders, totals, security: security.report(), nack };
}
