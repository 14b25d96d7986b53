/**
 * Preloaded into the real `udpcam send` (node --import this file …/udpcam.js send …) by the latency
 * bench. It does two things and changes nothing else:
 *   - answers clock pings over the IPC channel, which it unrefs, so the CLI still exits when its
 *     --frames are sent;
 *   - notes when the sender hands each frame's first ('S') datagram to dgram's send() and when
 *     the send of its last ('E') one has completed (its callback: dgram defers every sendmsg to
 *     a later tick, so the send() calls alone would hide the burst), reading the frame's seq from
 *     udpcam's COM segment in the first chunk, and posts {type: 'sent', seq, firstSendUs,
 *     lastSentUs} once the burst is over (setImmediate), so the bench can tell the sender's share
 *     of the latency from the receiver's. The wrapper costs ~1 µs per datagram.
 */
import dgram from 'node:dgram';
import { wallClockUs } from '@udpcam/common';
import { readFrameMeta } from '@udpcam/protocol';
import { answerClockPings } from './latency-clock.js';

const TYPE_START = 0x53; // 'S'
const TYPE_END = 0x45; // 'E'

if (process.send !== undefined) {
  answerClockPings(true);
  const send = dgram.Socket.prototype.send as (...args: unknown[]) => void;
  let seq: number | undefined;
  let firstSendUs = 0;
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
    const message = args[0];
    const [header, payload] = Array.isArray(message) ? (message as Buffer[]) : [message as Buffer];
    const type = header?.[0];
    if (type === TYPE_START) {
      firstSendUs = wallClockUs();
      // The first chunk holds the JPEG's head, udpcam's COM segment included.
      seq = readFrameMeta(payload ?? (header as Buffer).subarray(5))?.seq;
    }
    const callback = args.at(-1);
    if (type === TYPE_END && seq !== undefined && typeof callback === 'function') {
      const record = { type: 'sent', seq, firstSendUs, lastSentUs: 0 };
      seq = undefined;
      args[args.length - 1] = (...results: unknown[]) => {
        record.lastSentUs = wallClockUs();
        setImmediate(() => process.send?.(record));
        return callback(...results);
      };
    }
    return send.apply(this, args);
  } as typeof dgram.Socket.prototype.send;
}
