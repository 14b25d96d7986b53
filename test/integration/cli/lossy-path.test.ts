/**
 * Real kernel packet loss (docs/protocol.md#parity): `udpcam send --fec 0.1` and `udpcam receive`
 * run inside a private network namespace whose nftables rules drop chosen datagrams by their
 * header bytes — which frame (image id), which chunk, data or parity — so what must come out is
 * exact: every frame that lost at most m of its k + m datagrams is written byte for byte as sent,
 * the others never, and the receiver's counters agree. Needs root and nftables (skipped otherwise).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parityCount } from '@udpcam/protocol';
import {
  lastEvent,
  NETNS_MISSING,
  NetNamespace,
  PORT,
  writeFrames,
  writtenIndexes,
} from '../../helpers/netns.js';
import { TaggedFrames } from '../../helpers/test-camera.js';

const PACKET_SIZE = 1400;
const FRAME_BYTES = 57_000; // a 720p-sized frame: 41 chunks of 1390..1391 bytes
const K = Math.ceil(FRAME_BYTES / PACKET_SIZE);
const M = parityCount(K, 0.1); // 4
const FRAMES = 30; // image ids 00..29: each last digit three times

/** ASCII of a digit, for nft payload matches. */
const digit = (d: number) => `0x${(0x30 + d).toString(16)}`;
/** The UDP payload's byte `n` as an nft raw payload expression (after the 8-byte UDP header). */
const byte = (n: number) => `@th,${64 + 8 * n},8`;
const S = '0x53';
const E = '0x45';
const P = '0x50';

/**
 * What the path loses, by the last digit of the image id, and what that leaves:
 * `data` data chunks and `parity` parity datagrams lost per such frame.
 */
const PLAN: { lastDigit: number; rule: string; data: number; parity: number }[] = [
  { lastDigit: 1, rule: `${byte(0)} ${S}`, data: 1, parity: 0 },
  // chunk ids 10..13: four data chunks in a row (a burst of m)
  {
    lastDigit: 2,
    rule: `${byte(0)} 0x43 ${byte(3)} ${digit(1)} ${byte(4)} { 0x30, 0x31, 0x32, 0x33 }`,
    data: 4,
    parity: 0,
  },
  // chunk ids 10..14: m + 1 data chunks, beyond repair
  {
    lastDigit: 3,
    rule: `${byte(0)} 0x43 ${byte(3)} ${digit(1)} ${byte(4)} { 0x30, 0x31, 0x32, 0x33, 0x34 }`,
    data: 5,
    parity: 0,
  },
  { lastDigit: 4, rule: `${byte(0)} ${P}`, data: 0, parity: M },
  // S, E and parity 00 and 01: two data, two parity
  { lastDigit: 5, rule: `${byte(0)} { ${S}, ${E} }`, data: 2, parity: 0 },
  {
    lastDigit: 5,
    rule: `${byte(0)} ${P} ${byte(3)} ${digit(0)} ${byte(4)} { 0x30, 0x31 }`,
    data: 0,
    parity: 2,
  },
  // two data chunks and three parity: k - 1 arrive, beyond repair
  {
    lastDigit: 6,
    rule: `${byte(0)} 0x43 ${byte(3)} ${digit(2)} ${byte(4)} { 0x30, 0x31 }`,
    data: 2,
    parity: 0,
  },
  {
    lastDigit: 6,
    rule: `${byte(0)} ${P} ${byte(3)} ${digit(0)} ${byte(4)} { 0x30, 0x31, 0x32 }`,
    data: 0,
    parity: 3,
  },
];

describe('a lossy kernel path in a network namespace', {
  skip: NETNS_MISSING,
}, () => {
  let work: string;
  let namespace: NetNamespace;
  const frames = new TaggedFrames(FRAME_BYTES);

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'udpcam-netns-'));
    namespace = await NetNamespace.create();
  });

  after(() => {
    namespace?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('udpcam send --fec 0.1 → nftables drops → udpcam receive: exactly the frames with ≤ m losses, byte for byte', {
    timeout: 60_000,
  }, async () => {
    const input = path.join(work, 'in');
    const output = path.join(work, 'out');
    writeFrames(input, FRAMES, (i) => frames.frame(i));
    namespace.setInputRules(
      PLAN.map(
        ({ lastDigit, rule }) => `udp dport ${PORT} ${byte(2)} ${digit(lastDigit)} ${rule} counter drop`,
      ),
    );

    // --no-nack: parity alone, so frames beyond its repair must stay lost.
    const receiver = await namespace.receive(output, ['--status-interval', '0.2', '--no-nack']);
    try {
      const sent = await namespace.send<{ framesSent: number }>(input, FRAMES, [
        '--packet_size',
        String(PACKET_SIZE),
        '--fec',
        '0.1',
        '--no-nack',
      ]);
      assert.equal(sent.framesSent, FRAMES);
      // Partial frames expire after 500 ms; the receiver's last status line gives its counters.
      const lossOf = (i: number) => PLAN.filter((p) => p.lastDigit === i % 10);
      const whole = Array.from({ length: FRAMES }, (_, i) => i).filter(
        (i) => lossOf(i).reduce((sum, p) => sum + p.data + p.parity, 0) <= M,
      );
      // Wait for the receiver to report every frame beyond repair dropped and every whole one
      // written (a status line each 0.2 s), not for a time past the 500 ms expiry: on a busy
      // machine its expiry timer may run late.
      await receiver.waitFor(
        new RegExp(`"dropped":${FRAMES - whole.length},.*"written":${whole.length},`),
        30_000,
      );
      await receiver.stop('SIGINT');

      assert.deepEqual(writtenIndexes(output, frames), whole);

      const final = lastEvent<Record<string, number>>(receiver.stdout, 'stopped');
      const lostData = (i: number) => lossOf(i).reduce((sum, p) => sum + p.data, 0);
      const recovered = whole.filter((i) => lostData(i) > 0);
      assert.equal(final.framesRecovered, recovered.length);
      assert.equal(final.dropped, FRAMES - whole.length);
      assert.equal(
        final.datagramsLost,
        Array.from({ length: FRAMES }, (_, i) => lostData(i)).reduce((a, b) => a + b, 0),
      );
      assert.equal(
        final.parityReceived,
        Array.from({ length: FRAMES }, (_, i) => M - lossOf(i).reduce((sum, p) => sum + p.parity, 0)).reduce(
          (a, b) => a + b,
          0,
        ),
      );
      // And the kernel dropped exactly what the plan says.
      const dropped = namespace.counters().reduce((sum, packets) => sum + packets, 0);
      assert.equal(
        dropped,
        Array.from({ length: FRAMES }, (_, i) =>
          lossOf(i).reduce((sum, p) => sum + p.data + p.parity, 0),
        ).reduce((a, b) => a + b, 0),
      );
    } finally {
      await receiver.stop('SIGKILL');
    }
  });
});
