/**
 * Preloaded into the real `udpcam send` (node --import this file …/udpcam.js send …) by the
 * latency bench; it changes nothing else. It answers clock pings over an unref'd IPC channel (so
 * the CLI still exits when its --frames are sent), and posts {type: 'sent', seq, firstSendUs,
 * lastSentUs} per frame: when the first ('S') datagram went to dgram's send() and when the send of
 * the last ('E') one completed — its callback, since dgram defers every sendmsg to a later tick.
 * The seq comes from udpcam's COM segment in the first chunk. ~1 µs per datagram.
 */
import dgram from 'node:dgram';
import { wallClockUs } from '@udpcam/common';
import { TYPE_END, TYPE_START } from '@udpcam/protocol';
import { answerClockPings } from './latency-clock.js';

/** The seq in udpcam's COM segment (readFrameMeta would also check the CRC: that takes the whole frame). */
const SEQ = /UDPCAM1 seq=(\d+)/;

if (process.send !== undefined) {
  answerClockPings();
  process.channel?.unref();
  // A bench that failed half-way leaves no sender behind.
  process.on('disconnect', () => process.exit(1));
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
      const found = SEQ.exec((payload ?? (header as Buffer).subarray(5)).toString('latin1', 0, 1024));
      seq = found ? Number(found[1]) : undefined;
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
