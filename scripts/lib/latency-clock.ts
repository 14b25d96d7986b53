/**
 * Clocks across the latency bench's processes. Each stamps with @udpcam/common's wallClockUs
 * (performance.timeOrigin + performance.now()), fixed when the process starts, so two processes
 * may disagree by a few µs to a few hundred. measureClockOffset finds by how much: IPC ping-pong,
 * offset = child's clock − midpoint of our send and receive, from the fastest round trip (NTP's
 * estimate; off by at most half that round trip).
 */
import { wallClockUs } from '@udpcam/common';
import type { ChildWorker } from './ipc.js';

/** A child's clock relative to ours. */
export interface ClockOffset {
  /** Child clock − our clock, µs (subtract it from the child's stamps to get ours). */
  offsetUs: number;
  /** Half the fastest round trip: the offset is right to within this, µs. */
  uncertaintyUs: number;
  minRttUs: number;
  medianRttUs: number;
  samples: number;
}

/** Measures `peer`'s clock against ours with `samples` sequential pings (see the file comment). */
export async function measureClockOffset(
  peer: ChildWorker<{ type: 'clock' }>,
  samples = 40,
): Promise<ClockOffset> {
  // Untimed pings until the child answers: its listener may not be installed yet.
  for (let attempt = 0; ; attempt++) {
    try {
      await peer.request({ type: 'clock' }, 500);
      break;
    } catch (error) {
      if (attempt >= 20) throw error;
    }
  }
  const rounds: { rttUs: number; offsetUs: number }[] = [];
  for (let i = 0; i < samples; i++) {
    const sentUs = wallClockUs();
    const reply = await peer.request<{ nowUs: number }>({ type: 'clock' }, 5_000);
    const backUs = wallClockUs();
    rounds.push({ rttUs: backUs - sentUs, offsetUs: reply.nowUs - (sentUs + backUs) / 2 });
  }
  rounds.sort((a, b) => a.rttUs - b.rttUs);
  const best = rounds[0]!;
  return {
    offsetUs: Math.round(best.offsetUs),
    uncertaintyUs: Math.round(best.rttUs / 2),
    minRttUs: Math.round(best.rttUs),
    medianRttUs: Math.round(rounds[rounds.length >> 1]!.rttUs),
    samples,
  };
}

/** Child side: answers `{type: 'clock', id}` with this process's clock. */
export function answerClockPings(): void {
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message?.type === 'clock') process.send?.({ type: 'clock', id: message.id, nowUs: wallClockUs() });
  });
}
