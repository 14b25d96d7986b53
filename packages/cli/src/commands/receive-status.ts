/** The receiver's periodic status: totals plus rates since the previous line. */
import { DROP_REASONS, type DropReason } from '@udpcam/protocol';
import { type DiskSink, FrameTotals, type Receiver } from '@udpcam/receiver';
import { formatBytes } from '../output.js';

interface Totals {
  at: number;
  frames: number;
  frameBytes: number;
  datagrams: number;
}

/** Sums the assembler's per-sender stats. */
function totals(receiver: Receiver) {
  const sum = {
    senders: 0,
    datagrams: 0,
    frames: 0,
    frameBytes: 0,
    dropped: 0,
    malformed: 0,
    duplicates: 0,
    recovered: 0,
    datagramsLost: 0,
    parity: 0,
    droppedByReason: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  };
  for (const [, stats] of receiver.assembler.senders()) {
    sum.senders++;
    sum.datagrams += stats.datagrams;
    sum.frames += stats.framesComplete;
    sum.frameBytes += stats.frameBytes;
    sum.dropped += stats.framesDropped;
    sum.malformed += stats.malformed;
    sum.duplicates += stats.duplicateChunks;
    sum.recovered += stats.framesRecovered;
    sum.datagramsLost += stats.datagramsLost;
    sum.parity += stats.parityReceived;
    for (const reason of DROP_REASONS) sum.droppedByReason[reason] += stats.droppedByReason[reason];
  }
  return sum;
}

/** Builds status lines for `udpcam receive`. */
export class ReceiveStatus {
  #previous: Totals;
  /** Totals that a forgotten sender cannot make go down (issue 11, finding 17). */
  readonly #totals = new FrameTotals();

  constructor(
    private readonly receiver: Receiver,
    private readonly disk: DiskSink | undefined,
  ) {
    this.#previous = { at: receiver.clock(), frames: 0, frameBytes: 0, datagrams: 0 };
  }

  /** A status record and its one-line rendering. */
  sample(): { line: string; record: Record<string, unknown> } {
    const now = this.receiver.clock();
    const sum = totals(this.receiver);
    this.#totals.sample(this.receiver.assembler);
    sum.frames = this.#totals.frames;
    sum.frameBytes = this.#totals.frameBytes;
    const seconds = Math.max(1e-3, (now - this.#previous.at) / 1000);
    const fps = (sum.frames - this.#previous.frames) / seconds;
    const bytesPerSecond = (sum.frameBytes - this.#previous.frameBytes) / seconds;
    this.#previous = { at: now, frames: sum.frames, frameBytes: sum.frameBytes, datagrams: sum.datagrams };

    const reasons = DROP_REASONS.filter((r) => sum.droppedByReason[r] > 0)
      .map((r) => `${r} ${sum.droppedByReason[r]}`)
      .join(', ');
    const latencies = [...this.receiver.cameras()]
      .map((c) => c.lastLatencyUs)
      .filter((v): v is number => v !== undefined);
    const latencyMs = latencies.length > 0 ? Math.max(...latencies) / 1000 : undefined;
    const parts = [
      `${sum.senders} sender${sum.senders === 1 ? '' : 's'}`,
      `${fps.toFixed(1)} fps`,
      `${formatBytes(bytesPerSecond)}/s`,
      `frames ${sum.frames}`,
      `dropped ${sum.dropped}${reasons ? ` (${reasons})` : ''}`,
      `malformed ${sum.malformed}`,
    ];
    if (sum.parity > 0)
      parts.push(`recovered ${sum.recovered} (parity ${sum.parity}, lost ${sum.datagramsLost})`);
    if (latencyMs !== undefined) parts.push(`latency ${latencyMs.toFixed(1)} ms`);
    if (this.disk) {
      const d = this.disk.stats;
      parts.push(
        `written ${d.written} skipped ${d.skipped} failed ${d.failed}${d.deleted ? ` deleted ${d.deleted}` : ''}${d.thinned ? ` thinned ${d.thinned}` : ''}${d.ignored ? ` ignored ${d.ignored}` : ''}`,
      );
    }
    if (this.receiver.notAllowed > 0) parts.push(`not allowed ${this.receiver.notAllowed}`);
    const security = this.receiver.security.report();
    if (security.rejected > 0) {
      const why = Object.entries(security.rejectedByReason)
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ');
      parts.push(`rejected ${security.rejected} (${why})`);
    }
    if (security.encrypted > 0) parts.push(`encrypted ${security.encrypted} (no --key)`);
    if (this.receiver.assembler.stats.refusedDatagrams > 0) {
      parts.push(`refused ${this.receiver.assembler.stats.refusedDatagrams} (sender limit)`);
    }
    const record: Record<string, unknown> = {
      senders: sum.senders,
      fps: Number(fps.toFixed(2)),
      bytesPerSecond: Math.round(bytesPerSecond),
      frames: sum.frames,
      datagrams: sum.datagrams,
      dropped: sum.dropped,
      droppedByReason: sum.droppedByReason,
      malformed: sum.malformed,
      duplicateChunks: sum.duplicates,
      framesRecovered: sum.recovered,
      datagramsLost: sum.datagramsLost,
      parityReceived: sum.parity,
      refusedDatagrams: this.receiver.assembler.stats.refusedDatagrams,
      notAllowed: this.receiver.notAllowed,
      sendersForgotten: this.receiver.assembler.stats.sendersForgotten,
      security,
      latencyMs,
      disk: this.disk ? { ...this.disk.stats } : undefined,
    };
    return { line: `receive: ${parts.join(' | ')}`, record };
  }
}
