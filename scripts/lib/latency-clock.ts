/**
 * Clocks across the latency bench's processes. Every process stamps with
 * @udpcam/common's wallClockUs (performance.timeOrigin + performance.now()); each process fixes its timeOrigin when it starts, so two processes may disagree by
 * a few µs to a few hundred. measureClockOffset finds by how much: ping-pong over the IPC channel,
 * offset = child's clock − midpoint of our send and receive, taken from the fastest round trip
 * (NTP's estimate; it is off by at most half that round trip).
 *
 * Requests and replies are matched by id, so a child can answer clock pings and commands alike.
 */
import type { ChildProcess } from 'node:child_process';
import { wallClockUs } from '@udpcam/common';

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

/** A message over IPC with the id of the request it answers. */
interface Reply {
  id: number;
  type: string;
}

/** Request/reply over a child's IPC channel, matched by id; other messages are ignored. */
export class IpcPeer {
  readonly child: ChildProcess;
  readonly #waiting = new Map<number, (reply: Reply | Error) => void>();
  #nextId = 1;

  constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (message: Reply) => {
      const waiter = this.#waiting.get(message?.id);
      if (waiter === undefined) return;
      this.#waiting.delete(message.id);
      waiter(message);
    });
    child.on('exit', (code, signal) => {
      for (const waiter of this.#waiting.values()) waiter(new Error(`child exited (${signal ?? code})`));
      this.#waiting.clear();
    });
  }

  /** Sends `{...command, id}` and resolves with the reply carrying that id, or rejects after `timeoutMs`. */
  request<T>(command: { type: string } & Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`no reply to ${command.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply instanceof Error) reject(reply);
        else resolve(reply as T);
      });
      this.child.send({ ...command, id });
    });
  }
}

/** Measures `peer`'s clock against ours with `samples` sequential pings (see the file comment). */
export async function measureClockOffset(peer: IpcPeer, samples = 40): Promise<ClockOffset> {
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

/**
 * Child side: answers `{type: 'clock', id}` with this process's clock. With `unref`, the IPC
 * channel does not keep the process alive (for a probe preloaded into a process that must exit
 * on its own).
 */
export function answerClockPings(unref = false): void {
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message?.type === 'clock') process.send?.({ type: 'clock', id: message.id, nowUs: wallClockUs() });
  });
  if (unref) process.channel?.unref();
}
