/** The UDP side of `udpcam receive`: multicast, the sender allowlist, junk from many ports. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chunkFrame, ImageIdCycle } from '@udpcam/protocol';
import { Receiver } from '@udpcam/receiver';
import { startCli, startGroupReceiver, startReceiver } from '../../helpers/cli.js';
import { FakeClock } from '../../helpers/clock.js';
import { makeJpeg } from '../../helpers/frames.js';

/** Sends `count` real frames from `socket` to address:port, ~20 ms apart. */
async function sendFrames(socket: dgram.Socket, address: string, port: number, count: number): Promise<void> {
  const ids = new ImageIdCycle();
  for (let i = 0; i < count; i++) {
    // All of a frame's datagrams go to the kernel at once: a new sender's first frames are held
    // to a 10 ms gap between chunks, which a busy test process could otherwise open.
    await Promise.all(
      chunkFrame(makeJpeg(96, 64, i), ids.next(), 700).map(
        ([header, payload]) =>
          new Promise<void>((resolve, reject) =>
            socket.send([header, payload], port, address, (e) => (e ? reject(e) : resolve())),
          ),
      ),
    );
    await sleep(20);
  }
}

const lastStatus = (lines: string[]) =>
  lines
    .map((l) => JSON.parse(l))
    .filter((r) => r.level === 'status')
    .at(-1);

test('--group joins a multicast group (on loopback, TTL 0: nothing leaves this machine)', async () => {
  const group = '239.255.77.77';
  const { cli, port } = await startGroupReceiver(group);
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setMulticastInterface('127.0.0.1');
    socket.setMulticastTTL(0);
    await sendFrames(socket, group, port, 10);
    await cli.waitFor(/"frames":10[,}]/, 30_000);
  } finally {
    socket.close();
    assert.equal(await cli.stop(), 0);
  }
});

test('--allow hears only senders in range; the others are counted', async () => {
  const outside = await startReceiver([
    '--bind',
    '127.0.0.1',
    '--allow',
    '10.0.0.0/8,192.168.0.0/16',
    '--status-interval',
    '0.2',
    '--json',
  ]);
  const inside = await startReceiver([
    '--bind',
    '127.0.0.1',
    '--allow',
    '127.0.0.0/8',
    '--status-interval',
    '0.2',
    '--json',
  ]);
  const socket = dgram.createSocket('udp4');
  try {
    await sendFrames(socket, '127.0.0.1', outside.port, 5);
    await sendFrames(socket, '127.0.0.1', inside.port, 5);
    await inside.cli.waitFor(/"frames":5[,}]/, 30_000);
    await outside.cli.waitFor(/"notAllowed":[1-9]/, 30_000);
    const status = lastStatus(outside.cli.stdout);
    assert.equal(status.frames, 0);
    assert.equal(status.senders, 0, 'refused senders take no state');
  } finally {
    socket.close();
    await outside.cli.stop();
    await inside.cli.stop();
  }
});

test('a bad --allow range is one line and exit 1', async () => {
  const cli = startCli(['receive', '--port', '0', '--allow', '10.0.0.0/99']);
  assert.equal(await cli.exited, 1);
  assert.match(
    cli.stderr.join('\n'),
    /--allow takes CIDR ranges .* got 10\.0\.0\.0\/99 \(UDPCAM_ERR_INVALID_OPTION\)/,
  );
});

test('junk and spoofed-looking datagrams from 200 ports: counted, bounded, and the real camera is unaffected', async () => {
  // In-process on a fake clock, so no frame of the real camera can expire because this machine
  // stalled between two of its datagrams: what is tested is the bound on senders, not the timing.
  const clock = new FakeClock();
  const receiver = await Receiver.open({
    port: 0,
    host: '127.0.0.1',
    assembler: { maxSenders: 16 },
    clock: clock.now,
  });
  const { port } = receiver.address;
  const camera = dgram.createSocket('udp4');
  const attackers: dgram.Socket[] = [];
  let cameraFrames = 0;
  try {
    await new Promise<void>((resolve) => camera.bind(0, '127.0.0.1', resolve));
    const cameraKey = `127.0.0.1:${camera.address().port}`;
    receiver.on('frame', (frame) => {
      if (frame.sender === cameraKey) cameraFrames++;
    });
    for (let i = 0; i < 200; i++) {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      attackers.push(socket);
    }
    const send = (socket: dgram.Socket, datagram: Buffer | Buffer[]) =>
      new Promise<void>((resolve, reject) =>
        socket.send(datagram, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    const ids = new ImageIdCycle();
    for (let frame = 0; frame < 30; frame++) {
      // Every 6th frame, a round of junk from every attacker: malformed datagrams, and well-formed
      // headers with junk payloads that never complete.
      if (frame % 6 === 0) {
        for (const [i, socket] of attackers.entries()) {
          await send(socket, Buffer.from(`Q${i % 100}99garbage`));
          await send(
            socket,
            Buffer.concat([Buffer.from(`S${String(i % 100).padStart(2, '0')}00`), Buffer.alloc(1000, i)]),
          );
        }
      }
      for (const [header, payload] of chunkFrame(makeJpeg(96, 64, frame), ids.next(), 700)) {
        await send(camera, [header, payload]);
      }
      await until(() => cameraFrames === frame + 1, `camera frame ${frame + 1}`);
      clock.advance(20);
    }
    const { senders, sendersForgotten } = receiver.stats().totals;
    assert.ok(senders <= 16, `${senders} senders tracked`);
    assert.ok(sendersForgotten > 150, `${sendersForgotten}: junk senders gave way to each other`);
    assert.equal(cameraFrames, 30, 'the real camera lost nothing');
  } finally {
    camera.close();
    for (const socket of attackers) socket.close();
    await receiver.close();
  }
});

test('a partial frame is expired by the timer with no further datagram; a clean stream leaves no timer running', async () => {
  // Time is a fake clock (the expiry timer runs for real and reads it): nothing expires until
  // the test moves the clock, however slow this machine is.
  const clock = new FakeClock();
  const receiver = await Receiver.open({
    port: 0,
    host: '127.0.0.1',
    expireIntervalMs: 20,
    assembler: { frameTimeoutMs: 100 },
    clock: clock.now,
  });
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = receiver.address;
    await sendFrames(socket, '127.0.0.1', port, 10);
    // Completed frames leave short-lived tombstones (so late duplicates are not a new frame); once
    // the clock passes them there is nothing left to expire and the timer stops.
    await until(() => receiver.stats().cameras[0]?.frames === 10, 'the 10 frames');
    clock.advance(1000);
    await until(
      () => receiver.stats().totals.expiryPending === false,
      'the cycling sender leaves nothing to expire',
    );

    // All of a frame but its last chunk, then silence: only the timer can drop it.
    const chunks = chunkFrame(makeJpeg(96, 64, 99), 10, 700);
    for (const [header, payload] of chunks.slice(0, -1)) socket.send([header, payload], port, '127.0.0.1');
    await until(() => receiver.stats().totals.framesInFlight === 1, 'the partial frame is held');
    clock.advance(101);
    await until(() => receiver.stats().totals.framesInFlight === 0, 'the timer expired it');
    const { totals } = receiver.stats();
    assert.deepEqual([totals.senders, totals.droppedByReason.expired], [1, 1]);
    assert.equal(totals.bufferedBytes, 0);
  } finally {
    socket.close();
    await receiver.close();
  }
});

/** Polls `check` every 5 ms; gives up after 20 s (a guard against hangs only). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (const started = performance.now(); !check(); await sleep(5)) {
    if (performance.now() - started > 20_000) throw new Error(`timed out waiting until ${what}`);
  }
}
