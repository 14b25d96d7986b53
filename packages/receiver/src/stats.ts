/**
 * The receiver's figures at one moment, computed in one place: the HTTP views, /metrics and the
 * CLI's status lines all read this snapshot instead of the assembler and camera objects (issue 12).
 */
import { DROP_REASONS, type DropReason, type FrameAssembler, type SenderStats } from '@udpcam/protocol';
import type { CameraState } from './camera-state.js';
import type { RejectCounts, SecureGate, SecurityReport } from './secure-gate.js';
import type { FrameTotals } from './totals.js';

/** Capture → receive latency percentiles over a camera's last 512 stamped frames (µs). */
export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One camera's figures. */
export interface CameraStats {
  /** Camera id: its name, or its address made safe for paths and URLs. */
  id: string;
  /** True when the id is a name (sent by the camera or given with --name). */
  named: boolean;
  /** The sender key ("address:port") its frames come from now. */
  sender: string;
  /** A frame came within the receiver's offlineAfterMs. */
  online: boolean;
  /** Frames received whole, and their bytes. */
  frames: number;
  bytes: number;
  /** Frames and frame bytes per second over the last ~2 s. */
  fps: number;
  bytesPerSecond: number;
  /** Wall-clock time of the last frame, µs since the epoch (0: none yet). */
  lastFrameUs: number;
  /** Latency of the last stamped frame (µs), percentiles (µs), and sum (µs) and count of all. */
  lastLatencyUs: number | undefined;
  latencyUs: LatencyPercentiles | undefined;
  latencySumUs: number;
  latencyCount: number;
  /** Frames whose capture stamp was implausible (the sender's clock is off); not in latency. */
  implausibleLatencies: number;
  /** The reassembly counters of its current sender (undefined once the assembler forgot it). */
  assembly: Readonly<SenderStats> | undefined;
  /** Datagrams from its sender that a receiver with --key refused, by reason (undefined: none). */
  rejectedDatagrams: Readonly<RejectCounts> | undefined;
}

/** A sender heard that never completed a frame: no camera yet, but worth seeing. */
export interface PendingSender {
  sender: string;
  datagrams: number;
  malformed: number;
  framesDropped: number;
}

/** Sums over every sender the assembler tracks, plus the receiver-wide counters. */
export interface ReceiverTotals {
  /** Senders tracked now. */
  senders: number;
  /** Datagrams heard from them, and their bytes (headers included). */
  datagrams: number;
  bytes: number;
  /** Frames and frame bytes since the start: never go down when a sender is forgotten. */
  frames: number;
  frameBytes: number;
  framesDropped: number;
  droppedByReason: Record<DropReason, number>;
  malformed: number;
  duplicateChunks: number;
  framesRecovered: number;
  datagramsLost: number;
  parityReceived: number;
  /** Datagrams refused at the sender limit, and idle senders forgotten to make room. */
  refusedDatagrams: number;
  sendersForgotten: number;
  /** Datagrams from senders outside --allow. */
  notAllowed: number;
  /** Partial frames held now, and their bytes. */
  framesInFlight: number;
  bufferedBytes: number;
  /** Whether reassembly holds anything the expiry timer must reclaim (partial or held frames). */
  expiryPending: boolean;
}

/** The receiver's figures at `atMs` (its clock). */
export interface ReceiverStats {
  atMs: number;
  /** Every camera, in the order they first sent a frame. */
  cameras: CameraStats[];
  pendingSenders: PendingSender[];
  totals: ReceiverTotals;
  security: SecurityReport;
}

/** What `receiverStats` reads; the Receiver owns all of it. */
export interface StatsSources {
  assembler: FrameAssembler;
  cameras: Iterable<CameraState>;
  security: SecureGate;
  frameTotals: FrameTotals;
  notAllowed: number;
  offlineAfterMs: number;
}

const copyOf = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

/** Builds the snapshot at `nowMs`. */
export function receiverStats(from: StatsSources, nowMs: number): ReceiverStats {
  const { assembler, security } = from;
  const totals: ReceiverTotals = {
    senders: 0,
    datagrams: 0,
    bytes: 0,
    frames: 0,
    frameBytes: 0,
    framesDropped: 0,
    droppedByReason: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    malformed: 0,
    duplicateChunks: 0,
    framesRecovered: 0,
    datagramsLost: 0,
    parityReceived: 0,
    ...assembler.stats,
    notAllowed: from.notAllowed,
    framesInFlight: assembler.framesInFlight,
    bufferedBytes: assembler.bufferedBytes,
    expiryPending: assembler.needsExpiry,
  };
  const pendingSenders: PendingSender[] = [];
  for (const [sender, s] of assembler.senders()) {
    totals.senders++;
    totals.datagrams += s.datagrams;
    totals.bytes += s.bytes;
    totals.framesDropped += s.framesDropped;
    totals.malformed += s.malformed;
    totals.duplicateChunks += s.duplicateChunks;
    totals.framesRecovered += s.framesRecovered;
    totals.datagramsLost += s.datagramsLost;
    totals.parityReceived += s.parityReceived;
    for (const reason of DROP_REASONS) totals.droppedByReason[reason] += s.droppedByReason[reason];
    if (s.framesComplete === 0) {
      pendingSenders.push({
        sender,
        datagrams: s.datagrams,
        malformed: s.malformed,
        framesDropped: s.framesDropped,
      });
    }
  }
  // Per-sender sums go down when a sender is forgotten; these only grow (issue 11, finding 17).
  from.frameTotals.sample(assembler);
  totals.frames = from.frameTotals.frames;
  totals.frameBytes = from.frameTotals.frameBytes;
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
      assembly: copyOf(assembler.senderStats(camera.sender)),
      rejectedDatagrams: copyOf(security.rejectedFrom(camera.sender)),
    }),
  );
  return { atMs: nowMs, cameras, pendingSenders, totals, security: security.report() };
}
