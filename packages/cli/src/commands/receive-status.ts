/** The receiver's periodic status: totals plus rates since the previous line. */
import { DROP_REASONS } from '@udpcam/protocol';
import type { DiskSink, Receiver } from '@udpcam/receiver';
import { formatBytes } from '../output.js';

/** Builds status lines for `udpcam receive`. */
export class ReceiveStatus {
  /** Totals at the previous line. */
  #previous: { at: number; frames: number; frameBytes: number };

  constructor(
    private readonly receiver: Receiver,
    private readonly disk: DiskSink | undefined,
  ) {
    this.#previous = { at: receiver.clock(), frames: 0, frameBytes: 0 };
  }

  /** A status record and its one-line rendering. */
  sample(): { line: string; record: Record<string, unknown> } {
    const { atMs: now, cameras, totals: sum, security, nack } = this.receiver.stats();
    const seconds = Math.max(1e-3, (now - this.#previous.at) / 1000);
    const fps = (sum.frames - this.#previous.frames) / seconds;
    const bytesPerSecond = (sum.frameBytes - this.#previous.frameBytes) / seconds;
    this.#previous = { at: now, frames: sum.frames, frameBytes: sum.frameBytes };

    const reasons = DROP_REASONS.filter((r) => sum.droppedByReason[r] > 0)
      .map((r) => `${r} ${sum.droppedByReason[r]}`)
      .join(', ');
    const latencies = cameras.map((c) => c.lastLatencyUs).filter((v): v is number => v !== undefined);
    const latencyMs = latencies.length > 0 ? Math.max(...latencies) / 1000 : undefined;
    const parts = [
      `${sum.senders} sender${sum.senders === 1 ? '' : 's'}`,
      `${fps.toFixed(1)} fps`,
      `${formatBytes(bytesPerSecond)}/s`,
      `frames ${sum.frames}`,
      `dropped ${sum.framesDropped}${reasons ? ` (${reasons})` : ''}`,
      `malformed ${sum.malformed}`,
    ];
    if (sum.parityReceived > 0)
      parts.push(
        `recovered ${sum.framesRecovered} (parity ${sum.parityReceived}, lost ${sum.datagramsLost})`,
      );
    if (nack !== null && nack.nacksSent > 0) {
      parts.push(`nacks ${nack.nacksSent} (resent ${nack.retransmitsReceived}, saved ${nack.framesSaved})`);
    }
    if (latencyMs !== undefined) parts.push(`latency ${latencyMs.toFixed(1)} ms`);
    if (this.disk) {
      const d = this.disk.stats;
      parts.push(
        `written ${d.written} skipped ${d.skipped} failed ${d.failed}${d.deleted ? ` deleted ${d.deleted}` : ''}${d.thinned ? ` thinned ${d.thinned}` : ''}${d.ignored ? ` ignored ${d.ignored}` : ''}`,
      );
    }
    if (sum.notAllowed > 0) parts.push(`not allowed ${sum.notAllowed}`);
    if (security.rejected > 0) {
      const why = Object.entries(security.rejectedByReason)
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ');
      parts.push(`rejected ${security.rejected} (${why})`);
    }
    if (security.encrypted > 0) parts.push(`encrypted ${security.encrypted} (no --key)`);
    if (sum.refusedDatagrams > 0) parts.push(`refused ${sum.refusedDatagrams} (sender limit)`);
    const record: Record<string, unknown> = {
      senders: sum.senders,
      fps: Number(fps.toFixed(2)),
      bytesPerSecond: Math.round(bytesPerSecond),
      frames: sum.frames,
      datagrams: sum.datagrams,
      dropped: sum.framesDropped,
      droppedByReason: sum.droppedByReason,
      malformed: sum.malformed,
      duplicateChunks: sum.duplicateChunks,
      framesRecovered: sum.framesRecovered,
      datagramsLost: sum.datagramsLost,
      parityReceived: sum.parityReceived,
      nack: nack ?? undefined,
      refusedDatagrams: sum.refusedDatagrams,
      notAllowed: sum.notAllowed,
      sendersForgotten: sum.sendersForgotten,
      security,
      latencyMs,
      disk: this.disk ? { ...this.disk.stats } : undefined,
    };
    return { line: `receive: ${parts.join(' | ')}`, record };
  }
}
