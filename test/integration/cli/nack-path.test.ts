/**
 * Retransmission on request over a real lossy kernel path (docs/protocol.md#nack): `udpcam send
 * --fec 0` and `udpcam receive` in a private network namespace whose nftables rules drop chosen
 * datagrams by their header bytes the first time (or first two times) they pass — a lone chunk, a
 * burst of 4, the E, the S, a chunk whose first resend is lost too, two gaps in one frame. Every
 * frame must then be written byte for byte as sent, and the counters on both ends must match the
 * plan exactly. A forger in the namespace sends NACKs for the same frames from another port
 * throughout: the sender answers none of them (nothing leaves it but datagrams to the receiver).
 * Run plain and under --key. Needs root and nftables (skipped otherwise).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeNack } from '@udpcam/protocol';
import {
  lastEvent,
  NETNS_MISSING,
  NetNamespace,
  PORT,
  untilWritten,
  writeFrames,
  writtenFiles,
  writtenIndexes,
} from '../../helpers/netns.js';
import { writeKeyFile } from '../../helpers/secure.js';
import { frameIndex, TaggedFrames } from '../../helpers/test-camera.js';

const SENDER_PORT = 6000;
const PACKET_SIZE = 1400;
const FRAME_BYTES = 57_000; // 41 chunks of 1390..1391 bytes: 1423..1461 IP bytes with a key
const FRAMES = 20;

/** The UDP payload's byte `n` as an nft raw payload expression (after the 8-byte UDP header). */
const byte = (n: number) => `@th,${64 + 8 * n},8`;
const ascii = (text: string) => [...text].map((c) => `0x${c.charCodeAt(0).toString(16)}`);
/** Plain or sealed (lower-case) type byte. */
const type = (t: string) => `${byte(0)} { ${ascii(t)[0]}, ${ascii(t.toLowerCase())[0]} }`;
/** Matches datagram `chunk` (two digits) of image id `id`. */
function chunkMatch(t: string, id: string, chunk: string): string {
  const [i1, i2] = ascii(id);
  const [c1, c2] = ascii(chunk);
  return `${type(t)} ${byte(1)} ${i1} ${byte(2)} ${i2} ${byte(3)} ${c1} ${byte(4)} ${c2}`;
}
/**
 * Drops the first `times` datagrams the match sees: nft's quota matches until its byte count is
 * reached, and n datagrams of 1400..1470 IP bytes stay under n × 1470 + 200 < (n + 1) × 1400.
 */
const dropFirst = (match: string, times: number) =>
  `udp dport ${PORT} ${match} quota until ${times * 1470 + 200} bytes counter drop`;

/** What the path loses: [image id, type, chunk, times]. */
const PLAN: [string, string, string, number][] = [
  ['03', 'C', '10', 1],
  ['05', 'C', '10', 1],
  ['05', 'C', '11', 1],
  ['05', 'C', '12', 1],
  ['05', 'C', '13', 1],
  ['07', 'E', '40', 1], // the tail: seen missing only when frame 08 begins
  ['09', 'S', '00', 1],
  ['11', 'C', '20', 2], // its first resend is lost as well: a retry
  ['13', 'C', '05', 1],
  ['13', 'C', '30', 1],
];
const FRAMES_SAVED = new Set(PLAN.map(([id]) => id)).size;
const LOST = PLAN.reduce((sum, [, , , times]) => sum + times, 0);
/**
 * NACK datagrams at least: one per chunk, and frame 11 asks twice (in the frame, then when frame 12
 * begins). A busy machine may add a retry (5 ms after the last request, if the resend is not in
 * yet), so the exact count is the receiver's to report, and the sender must have heard every one.
 */
const MIN_NACKS = PLAN.length + 1;

/** Sends a NACK for frame 03 chunk 10 (padded to pay for it) to the sender, from another port, every 20 ms. */
const FORGER = `
const dgram = require('node:dgram');
const socket = dgram.createSocket('udp4');
const nack = Buffer.from('${encodeNack(3, 0, [10], undefined, 2000).toString('hex')}', 'hex');
let n = 0;
const timer = setInterval(() => {
  socket.send(nack, ${SENDER_PORT}, '127.0.0.1');
  if (++n >= 200) { clearInterval(timer); socket.close(); }
}, 20);
`;

describe('NACK over a lossy kernel path in a network namespace', {
  skip: NETNS_MISSING,
}, () => {
  let work: string;
  let input: string;
  let namespace: NetNamespace;
  const frames = new TaggedFrames(FRAME_BYTES);

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'udpcam-nack-'));
    namespace = await NetNamespace.create();
    input = path.join(work, 'in');
    writeFrames(input, FRAMES, (i) => frames.frame(i));
  });

  after(() => {
    namespace?.close();
    rmSync(work, { recursive: true, force: true });
  });

  for (const keyed of [false, true]) {
    test(`--fec 0${keyed ? ' --key' : ''}: every frame recovered by NACK, byte for byte; a forged NACK from another port gets nothing`, {
      timeout: 90_000,
    }, async () => {
      const output = path.join(work, keyed ? 'out-key' : 'out');
      const key = keyed ? ['--key', (await writeKeyFile(path.join(work, 'cam.key'))).file] : [];
      namespace.setInputRules([
        ...PLAN.map(([id, t, chunk, times]) => dropFirst(chunkMatch(t, id, chunk), times)),
        `udp dport ${PORT} counter`,
        // Anything the sender sends elsewhere than to the receiver (e.g. an answer to the forger).
        `udp sport ${SENDER_PORT} udp dport != ${PORT} counter`,
      ]);
      const receiver = await namespace.receive(output, ['--status-interval', '3600', ...key]);
      const forger = namespace.start([process.execPath, '-e', FORGER]);
      try {
        const sent = await namespace.send<{ framesSent: number; nack: Record<string, number> }>(
          input,
          FRAMES,
          ['--packet_size', String(PACKET_SIZE), '--fec', '0', '--bind', `127.0.0.1:${SENDER_PORT}`, ...key],
        );
        assert.equal(sent.framesSent, FRAMES);
        await untilWritten(output, FRAMES);
        await receiver.stop('SIGINT');

        assert.deepEqual(
          writtenIndexes(output, frames),
          Array.from({ length: FRAMES }, (_, i) => i),
        );
        const final = lastEvent<{
          dropped: number;
          nack: { nacksSent: number; retransmitsReceived: number; framesSaved: number };
        }>(receiver.stdout, 'stopped');
        assert.equal(final.dropped, 0);
        const nacks = final.nack.nacksSent;
        assert.ok(nacks >= MIN_NACKS, `${nacks} NACKs`);
        // Each lost chunk came back once (a second copy is a duplicate), each saved frame counted once.
        assert.deepEqual([final.nack.retransmitsReceived, final.nack.framesSaved], [LOST - 1, FRAMES_SAVED]);
        // Every NACK reached the sender (the back channel loses nothing here) and got its one chunk.
        assert.deepEqual(
          [
            sent.nack.nacksReceived,
            sent.nack.datagramsResent,
            sent.nack.deniedBySize,
            sent.nack.deniedByRate,
          ],
          [nacks, nacks, 0, 0],
        );
        const counters = namespace.counters();
        const elsewhere = counters.at(-1)!;
        const toReceiver = counters.at(-2)!;
        assert.equal(elsewhere, 0, 'the sender answered nobody but the receiver');
        assert.equal(
          toReceiver,
          FRAMES * 41 + nacks - LOST,
          'originals and resends only, none for the forger',
        );
        assert.equal(
          counters.slice(0, -2).reduce((sum, packets) => sum + packets, 0),
          LOST,
          'the kernel dropped exactly the plan',
        );
      } finally {
        await receiver.stop('SIGKILL');
        await forger.stop('SIGKILL');
      }
    });
  }

  test('--legacy (the Python framing) is never sent a NACK: its frames that lost a chunk stay lost', {
    timeout: 60_000,
  }, async () => {
    const output = path.join(work, 'out-legacy');
    const LOST_FRAMES = 3;
    namespace.setInputRules([
      // Chunk 10 of the first three frames (legacy image ids are random: match any).
      `udp dport ${PORT} ${type('C')} ${byte(3)} 0x31 ${byte(4)} 0x30 quota until ${LOST_FRAMES * 1470 + 200} bytes counter drop`,
      `udp dport ${SENDER_PORT} counter`,
    ]);
    const receiver = await namespace.receive(output, ['--status-interval', '3600']);
    try {
      await namespace.send(input, FRAMES, [
        '--legacy',
        '--packet_size',
        String(PACKET_SIZE),
        '--bind',
        `127.0.0.1:${SENDER_PORT}`,
      ]);
      await untilWritten(output, FRAMES - LOST_FRAMES);
      await receiver.stop('SIGINT');
      const indexes = writtenFiles(output).map((file) => frameIndex(readFileSync(file)));
      assert.deepEqual(
        indexes.sort((a, b) => a! - b!),
        Array.from({ length: FRAMES - LOST_FRAMES }, (_, i) => i + LOST_FRAMES),
      );
      const final = lastEvent<{ nack: { nacksSent: number } }>(receiver.stdout, 'stopped');
      assert.equal(final.nack.nacksSent, 0);
      const [dropped, toSender] = namespace.counters();
      assert.equal(dropped, LOST_FRAMES);
      assert.equal(toSender, 0, 'nothing went back to the sender');
    } finally {
      await receiver.stop('SIGKILL');
    }
  });
});
