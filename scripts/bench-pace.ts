/**
 * Pacing and bursts on loopback, measured (the tests check the spread against a fake clock; how
 * it really comes out depends on the machine, so it is a figure here, not a pass/fail test).
 *
 *   node build/scripts/bench-pace.js [--quick] [--rounds 10]
 *
 * 1. Burst loss: one frame of N datagrams (1400-byte payloads) sent as one burst to a socket
 *    that reads in the same process, with the kernel's default receive buffer and with the
 *    receiver's own socket (bindUdpSocket, which raises SO_RCVBUF): datagrams lost per burst.
 * 2. Spread: 40-datagram frames spread over 60 ms, and 2-datagram frames asked to spread over
 *    500 ms (capped at MAX_SPREAD_GAP_MS): arrival span, largest gap and distinct milliseconds.
 *
 * Writes bench-results/pace.json.
 */
import dgram from 'node:dgram';
import { MAX_CHUNKS } from '@udpcam/protocol';
import { bindUdpSocket } from '@udpcam/receiver';
import { MAX_SPREAD_GAP_MS, Transmitter } from '@udpcam/sender';
import { startBench } from './lib/harness.js';
import { fixed, median, sleep, table } from './lib/report.js';

const bench = startBench('pace');
/** --rounds: frames sent per row. */
const trials = bench.rounds(10, 2);
const PACKET = 1400;

/** A receiving socket: the receiver's (bindUdpSocket raises SO_RCVBUF), or one with the OS default buffer. */
async function receiving(raised: boolean): Promise<dgram.Socket> {
  const recvBufferBytes = 32 * 1024 * 1024;
  if (raised) return (await bindUdpSocket({ port: 0, host: '127.0.0.1', recvBufferBytes })).socket;
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

/** Sends one frame to a fresh socket; the arrival times (ms) of what arrived. */
async function oneFrame(chunks: number, raised: boolean, spreadMs: number) {
  const socket = await receiving(raised);
  const rcvbuf = socket.getRecvBufferSize();
  const arrivals: number[] = [];
  socket.on('message', () => arrivals.push(performance.now()));
  const port = socket.address().port;
  const transmitter = new Transmitter({ host: '127.0.0.1', port, packetSize: PACKET, spreadMs });
  // A frame of exactly `chunks` datagrams; the socket reads them raw, so only its size matters.
  const sent = await transmitter.send(Buffer.alloc(chunks * PACKET));
  // Whatever is still in the kernel buffer is read within a few ms; 100 ms is plenty.
  await sleep(100);
  await transmitter.close();
  socket.close();
  return { sent: sent.datagrams, arrivals, rcvbuf };
}

/** `trials` frames, one after the other. */
async function frames(chunks: number, raised: boolean, spreadMs: number) {
  const runs = [];
  for (let t = 0; t < trials; t++) runs.push(await oneFrame(chunks, raised, spreadMs));
  return runs;
}

const bursts = [];
for (const raised of [false, true]) {
  for (const datagrams of [20, 40, 60, 80, 90, 95, MAX_CHUNKS]) {
    const runs = await frames(datagrams, raised, 0);
    const lost = runs.map((run) => run.sent - run.arrivals.length);
    bursts.push({
      datagrams,
      buffer: raised ? 'receiver (raised)' : 'OS default',
      rcvbufBytes: runs.at(-1)!.rcvbuf,
      lostMedian: median(lost),
      lostMax: Math.max(...lost),
    });
  }
}
console.log(
  `bench-pace${bench.quick ? ' --quick' : ''}: burst loss, ${PACKET}-byte datagrams, ${trials} bursts each`,
);
console.log(
  table(
    ['datagrams', 'buffer', 'SO_RCVBUF', 'lost (median)', 'lost (max)'],
    bursts.map((b) => [b.datagrams, b.buffer, b.rcvbufBytes, b.lostMedian, b.lostMax].map(String)),
  ),
);

const spreads = [];
for (const [name, chunks, spreadMs] of [
  ['40 datagrams over 60 ms', 40, 60],
  [`2 datagrams, 500 ms asked (cap ${MAX_SPREAD_GAP_MS} ms)`, 2, 500],
  ['40 datagrams, no spread', 40, 0],
] as const) {
  const runs = (await frames(chunks, true, spreadMs)).map((run) => run.arrivals);
  spreads.push({
    case: name,
    spreadMs,
    datagrams: chunks,
    spanMs: runs.map((arrivals) => arrivals.at(-1)! - arrivals[0]!),
    maxGapMs: runs.map((arrivals) => Math.max(0, ...arrivals.slice(1).map((at, i) => at - arrivals[i]!))),
    distinctMs: runs.map((arrivals) => new Set(arrivals.map(Math.round)).size),
  });
}
console.log(
  'spread: arrival span, largest gap between datagrams, distinct ms (median and max of the frames)',
);
console.log(
  table(
    ['case', 'span ms (median / max)', 'largest gap ms (median / max)', 'distinct ms (median)'],
    spreads.map((s) => [
      s.case,
      `${fixed(median(s.spanMs))} / ${fixed(Math.max(...s.spanMs))}`,
      `${fixed(median(s.maxGapMs))} / ${fixed(Math.max(...s.maxGapMs))}`,
      String(median(s.distinctMs)),
    ]),
  ),
);

await bench.save({ options: { trials, packetSize: PACKET }, bursts, spreads });
