/**
 * The recvmmsg receive path (@udpcam/udp-native) against node:dgram's own, on real loopback
 * sockets, IPv4 and IPv6: the same datagrams (bytes, order, sender) reach the receiver either
 * way; closing is clean; UDPCAM_NATIVE_UDP=0 keeps dgram. The addon is built by `npm ci` on Linux:
 * there these tests require it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { chunkFrame, ImageIdCycle } from '@udpcam/protocol';
import { type ReceivedFrame, Receiver } from '@udpcam/receiver';
import {
  type BatchReceiver,
  NOT_OPENED,
  nativeUdpProblem,
  receiveBatches,
  type Sender,
} from '@udpcam/udp-native';
import { REPO_ROOT } from '../../helpers/cli.js';
import { makeJpeg } from '../../helpers/frames.js';

const exec = promisify(execFile);

test('the addon loads here (npm ci builds it on Linux)', { skip: process.platform !== 'linux' }, () => {
  assert.equal(nativeUdpProblem(), undefined);
});

const NOT_HERE = process.platform !== 'linux' ? 'recvmmsg is Linux only' : undefined;
const native = { skip: NOT_HERE };

/** The three ways a receiver binds: IPv4, IPv6, and dual-stack (:: hearing an IPv4 sender). */
const FAMILIES = [
  { name: 'IPv4', type: 'udp4', bind: '127.0.0.1', senderType: 'udp4', to: '127.0.0.1' },
  { name: 'IPv6', type: 'udp6', bind: '::1', senderType: 'udp6', to: '::1' },
  { name: 'dual-stack', type: 'udp6', bind: '::', senderType: 'udp4', to: '127.0.0.1' },
] as const;

async function bound(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket(type);
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  socket.setRecvBufferSize(8 * 1024 * 1024);
  return socket;
}

const send = (socket: dgram.Socket, data: Buffer, port: number, address: string) =>
  new Promise<void>((resolve, reject) =>
    socket.send(data, port, address, (e) => (e ? reject(e) : resolve())),
  );

/** Datagrams as [sender key, hex of the bytes], for comparing whole sequences. */
type Seen = [string, string][];
const key = (s: Sender) => (s.family === 'IPv6' ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`);

/** Resolves once `check` holds (polled every 5 ms); a guard of 20 s against hangs only. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (const started = performance.now(); !check(); await sleep(5)) {
    if (performance.now() - started > 20_000) throw new Error(`timed out waiting until ${what}`);
  }
}

for (const family of FAMILIES) {
  test(
    `${family.name}: recvmmsg delivers exactly what dgram does, from 40 senders, 0 to 65507 bytes`,
    native,
    async () => {
      const reference = await bound(family.type, family.bind);
      const batched = await bound(family.type, family.bind);
      const viaDgram: Seen = [];
      const viaNative: Seen = [];
      const batchSizes: number[] = [];
      // Waits until both receivers have `count` datagrams. Awaiting sends alone would not do: a
      // send's callback can come before the loop polls for reading, so nothing would be read while
      // the test sends, and 65507-byte datagrams would overflow the receive buffers.
      let check = () => {};
      const received = (count: number) =>
        new Promise<void>((resolve) => {
          check = () => {
            if (viaDgram.length >= count && viaNative.length >= count) resolve();
          };
          check();
        });
      reference.on('message', (data, info) => {
        viaDgram.push([key(info), data.toString('hex')]);
        check();
      });
      // Each datagram is a view into its batch's one Buffer, handed over after the batch.
      let inBatch: Buffer[] = [];
      const receiver = receiveBatches(
        batched,
        (data, sender, status) => {
          assert.equal(status, NOT_OPENED);
          inBatch.push(data!);
          viaNative.push([key(sender), data!.toString('hex')]);
        },
        (batch) => {
          for (const data of inBatch) assert.equal(data.buffer, batch);
          batchSizes.push(inBatch.length);
          inBatch = [];
          check();
        },
      );
      assert.ok(receiver, nativeUdpProblem());
      batched.on('message', () => assert.fail('dgram must not read a socket the addon reads'));
      const senders = await Promise.all(
        Array.from({ length: 40 }, () => bound(family.senderType, family.to)),
      );
      try {
        const sizes = [0, 1, 65507, 1400, 0, 65507, 2, 8972, 1472];
        let expected = 0;
        // Every datagram to both receivers, one at a time.
        for (let round = 0; round < 6; round++) {
          for (const [i, socket] of senders.entries()) {
            const size = sizes[(round * 7 + i) % sizes.length]!;
            const data = Buffer.alloc(size);
            for (let b = 0; b < size; b += 97) data[b] = (round * 31 + i + b) & 0xff;
            await send(socket, data, reference.address().port, family.to);
            await send(socket, data, batched.address().port, family.to);
            await received(++expected);
          }
        }
        // Then a burst from each sender in turn, so recvmmsg reads full batches.
        for (const [i, socket] of senders.entries()) {
          await Promise.all(
            Array.from({ length: 50 }, async (_, n) => {
              const data = Buffer.from(`burst ${i} ${n}`.padEnd(1200, '.'));
              await send(socket, data, reference.address().port, family.to);
              await send(socket, data, batched.address().port, family.to);
            }),
          );
          expected += 50;
          await received(expected);
        }
        if (family.name === 'dual-stack') assert.match(viaNative[0]![0], /^\[::ffff:127\.0\.0\.1\]:\d+$/);
        assert.equal(viaNative.length, expected);
        assert.deepEqual(viaNative, viaDgram);
        assert.ok(Math.max(...batchSizes) > 1, `batches of ${Math.max(...batchSizes)}`);
        assert.equal(receiver.stats().datagrams, expected);
        assert.equal(receiver.stats().errors, 0);
      } finally {
        receiver.close();
        reference.close();
        batched.close();
        for (const socket of senders) socket.close();
      }
    },
  );
}

test(
  'close from inside a datagram listener: no further datagram, the batch still ends; close twice is fine',
  native,
  async () => {
    const socket = await bound('udp4', '127.0.0.1');
    const sender = await bound('udp4', '127.0.0.1');
    let calls = 0;
    let ends = 0;
    let receiver: BatchReceiver | undefined;
    receiver = receiveBatches(
      socket,
      () => {
        calls++;
        receiver!.close();
        receiver!.close();
      },
      () => ends++,
    );
    assert.ok(receiver, nativeUdpProblem());
    try {
      const port = socket.address().port;
      // A burst queued before the loop can read: the first batch has many; close ends reading.
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => send(sender, Buffer.from(`d${i}`), port, '127.0.0.1')),
      );
      await until(() => calls > 0, 'the first batch');
      for (let i = 0; i < 20; i++) await send(sender, Buffer.from('after close'), port, '127.0.0.1');
      // The datagrams sent after close can be seen by a socket that reads: wait for a round trip.
      const probe = await bound('udp4', '127.0.0.1');
      const seen = once(probe, 'message');
      await send(sender, Buffer.from('probe'), probe.address().port, '127.0.0.1');
      await seen;
      probe.close();
      assert.equal(calls, 1);
      assert.equal(ends, 1);
      receiver.close();
    } finally {
      socket.close();
      sender.close();
    }
  },
);

test('closing the dgram socket closes the batch receiver: the port is free again', native, async () => {
  const socket = await bound('udp4', '127.0.0.1');
  const port = socket.address().port;
  const receiver = receiveBatches(
    socket,
    () => assert.fail('no datagram was sent'),
    () => {},
  );
  assert.ok(receiver, nativeUdpProblem());
  socket.close();
  await once(socket, 'close');
  // The dup'ed fd would keep the port bound if it were still open.
  const again = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.bind(port, '127.0.0.1', resolve);
  });
  again.close();
  receiver.close();
});

test(
  'a closed receiver leaves no fd and no handle: 300 open/close cycles, then the process exits',
  native,
  async () => {
    const script = `
    import dgram from 'node:dgram';
    import { readdirSync } from 'node:fs';
    import { receiveBatches } from '@udpcam/udp-native';
    const fds = () => readdirSync('/proc/self/fd').length;
    const socket = dgram.createSocket('udp4');
    await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const before = fds();
    for (let i = 0; i < 300; i++) receiveBatches(socket, () => {}, () => {}).close();
    const after = fds();
    socket.close();
    console.log(JSON.stringify({ before, after }));
  `;
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });
    const { before, after } = JSON.parse(stdout);
    assert.equal(after, before);
  },
);

test(
  'an open receiver keeps the process alive until a datagram closes it, then it exits',
  native,
  async () => {
    const script = `
    import dgram from 'node:dgram';
    import { receiveBatches } from '@udpcam/udp-native';
    const socket = dgram.createSocket('udp6');
    await new Promise((resolve) => socket.bind(0, '::1', resolve));
    const receiver = receiveBatches(socket, (datagram, sender) => {
      console.log('got', datagram.toString(), sender.family);
      receiver.close();
      socket.close();
    }, () => {});
    console.log('port', socket.address().port);
  `;
    const child = execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
    let out = '';
    const port = await new Promise<number>((resolve) =>
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        const match = /port (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      }),
    );
    const sender = await bound('udp6', '::1');
    await send(sender, Buffer.from('hello'), port, '::1');
    sender.close();
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(out, /got hello IPv6/);
  },
);

test('a worker thread that ends with its receiver open, or just closed, ends cleanly', native, async () => {
  // Node unloads a worker's addons as the worker ends: the poll handle must be closed by then.
  const script = `
    import { Worker } from 'node:worker_threads';
    const worker = (end) => \`
      (async () => {
        const { default: dgram } = await import('node:dgram');
        const { parentPort } = await import('node:worker_threads');
        const { receiveBatches } = await import('@udpcam/udp-native');
        const socket = dgram.createSocket('udp4');
        await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
        const receiver = receiveBatches(socket, () => {}, () => {});
        if (!receiver) process.exit(9);
        \${end}
      })();
    \`;
    const ends = {
      terminated: 'parentPort.postMessage("open");',
      exited: 'process.exit(3);',
      closed: 'receiver.close(); socket.close(); process.exit(4);',
    };
    const codes = {};
    for (const [how, end] of Object.entries(ends)) {
      const w = new Worker(worker(end), { eval: true });
      const exited = new Promise((resolve) => w.once('exit', resolve));
      if (how === 'terminated') {
        await new Promise((resolve) => w.once('message', resolve));
        await w.terminate();
      }
      codes[how] = await exited;
    }
    console.log(JSON.stringify(codes));
  `;
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
  assert.deepEqual(JSON.parse(stdout), { terminated: 1, exited: 3, closed: 4 });
});

test(
  'a throwing batch listener is an uncaughtException, as a throwing message listener is',
  native,
  async () => {
    const script = `
    import dgram from 'node:dgram';
    import { receiveBatches } from '@udpcam/udp-native';
    const socket = dgram.createSocket('udp4');
    await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const receiver = receiveBatches(socket, () => { throw new Error('listener failed'); }, () => {});
    process.on('uncaughtException', (error) => {
      console.log('uncaught', error.message);
      receiver.close();
      socket.close();
    });
    socket.send('x', socket.address().port, '127.0.0.1');
  `;
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });
    assert.equal(stdout.trim(), 'uncaught listener failed');
  },
);

test(
  'a socket error (ICMP port unreachable on a connected socket) does not stop the loop',
  native,
  async () => {
    // A port nobody listens on: the kernel answers datagrams to it with ICMP port unreachable,
    // which a connected UDP socket reports as an error (EPOLLERR, then ECONNREFUSED).
    const gone = await bound('udp4', '127.0.0.1');
    const peerPort = gone.address().port;
    gone.close();
    const socket = await bound('udp4', '127.0.0.1');
    const seen: string[] = [];
    const receiver = receiveBatches(
      socket,
      (data) => seen.push(data!.toString()),
      () => {},
    );
    assert.ok(receiver, nativeUdpProblem());
    try {
      await new Promise<void>((resolve) => socket.connect(peerPort, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => socket.send('to nobody', () => resolve()));
      await until(() => receiver.stats().errors > 0, 'the ICMP error');
      // The port comes to life: its datagrams are still received.
      const peer = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => peer.bind(peerPort, '127.0.0.1', resolve));
      await send(peer, Buffer.from('after the error'), socket.address().port, '127.0.0.1');
      await until(() => seen.length > 0, 'a datagram after the error');
      assert.deepEqual(seen, ['after the error']);
      peer.close();
    } finally {
      receiver.close();
      socket.close();
    }
  },
);

/** `count` frames of 320x240 as 1000-byte chunks, each one datagram. */
function frameDatagrams(count: number): Buffer[][] {
  const ids = new ImageIdCycle();
  return Array.from({ length: count }, (_, i) =>
    chunkFrame(makeJpeg(320, 240, i), ids.next(), 1000).map(([header, payload]) =>
      Buffer.concat([header, payload]),
    ),
  );
}

/** Sends `count` frames from `socket`, each frame's datagrams at once (all frames at once: `together`). */
async function sendFrames(
  socket: dgram.Socket,
  port: number,
  address: string,
  count: number,
  together = false,
) {
  const frames = frameDatagrams(count);
  const sendAll = (datagrams: Buffer[]) => Promise.all(datagrams.map((d) => send(socket, d, port, address)));
  if (together) await sendAll(frames.flat());
  else for (const datagrams of frames) await sendAll(datagrams);
}

for (const nativeUdp of [true, false]) {
  for (const family of FAMILIES) {
    test(`Receiver (${nativeUdp ? 'recvmmsg' : 'dgram'}, ${family.name}): frames, sender keys, receivePath`, async (t) => {
      if (nativeUdp && NOT_HERE) return t.skip(NOT_HERE);
      const receiver = await Receiver.open({ port: 0, host: family.bind, nativeUdp });
      const frames: ReceivedFrame[] = [];
      receiver.on('frame', (frame) => frames.push(frame));
      const socket = await bound(family.senderType, family.to);
      try {
        assert.equal(receiver.receivePath, nativeUdp ? 'recvmmsg' : 'dgram');
        await sendFrames(socket, receiver.address.port, family.to, 12);
        await until(() => frames.length === 12, '12 frames');
        const port = socket.address().port;
        const expectedKey = {
          IPv4: `127.0.0.1:${port}`,
          IPv6: `[::1]:${port}`,
          'dual-stack': `[::ffff:127.0.0.1]:${port}`,
        };
        assert.deepEqual(new Set(frames.map((f) => f.sender)), new Set([expectedKey[family.name]]));
        for (const [i, frame] of frames.entries())
          assert.equal(frame.data.at(-1), 0xd9, `frame ${i} ends with EOI`);
        assert.equal(receiver.stats().totals.framesDropped, 0);
      } finally {
        socket.close();
        await receiver.close();
      }
    });
  }
}

test('UDPCAM_NATIVE_UDP=0 keeps node:dgram', async () => {
  const script = `
    import { Receiver } from '@udpcam/receiver';
    const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
    console.log(receiver.receivePath);
    await receiver.close();
  `;
  const run = async (env: NodeJS.ProcessEnv) =>
    (
      await exec(process.execPath, ['--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env },
        timeout: 60_000,
      })
    ).stdout.trim();
  assert.equal(await run({ UDPCAM_NATIVE_UDP: '0' }), 'dgram');
  if (!NOT_HERE) assert.equal(await run({ UDPCAM_NATIVE_UDP: '' }), 'recvmmsg');
});

test('a receiver closed by a frame listener mid-batch stops there', native, async () => {
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  assert.equal(receiver.receivePath, 'recvmmsg');
  const socket = await bound('udp4', '127.0.0.1');
  let frames = 0;
  let closing: Promise<void> | undefined;
  receiver.on('frame', () => {
    frames++;
    closing ??= receiver.close();
  });
  try {
    // Five frames queued at once: the first completes mid-batch and closes the receiver.
    await sendFrames(socket, receiver.address.port, '127.0.0.1', 5, true);
    await until(() => closing !== undefined, 'the first frame');
    await closing;
    assert.equal(frames, 1);
  } finally {
    socket.close();
    await receiver.close();
  }
});

test('fds: a Receiver with recvmmsg leaves none open after close', native, async () => {
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  for (let i = 0; i < 20; i++) {
    const receiver = await Receiver.open({ port: 0, host: '::1' });
    assert.equal(receiver.receivePath, 'recvmmsg');
    await receiver.close();
  }
  assert.equal(fds(), before);
});
