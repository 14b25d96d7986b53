/**
 * A receiver with a key opens datagrams in C as recvmmsg delivers them (opener.c), and keeps
 * everything the one-by-one path gives: frames byte for byte, refusals counted by reason per
 * camera, NACK-free. With --allow it opens one by one after the address check, so a copy from an
 * address not allowed cannot use up a real datagram's counter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkFrame, DatagramSealer, generateKey, StreamKey } from '@udpcam/protocol';
import { until } from '../../helpers/http.js';
import { startInProcessReceiver } from '../../helpers/in-process.js';
import { TaggedFrames, TEST_PACKET_SIZE, TestCamera } from '../../helpers/test-camera.js';

const frames = new TaggedFrames(12_000);

function sealedFrame(sealer: DatagramSealer, index: number): Buffer[] {
  return chunkFrame(frames.frame(index), index, TEST_PACKET_SIZE).map(([header, payload]) =>
    Buffer.concat(sealer.seal(header, payload)),
  );
}

test('opened as received: frames byte for byte, each forgery refused and counted for its camera', async () => {
  const key = new StreamKey(generateKey());
  const sealer = new DatagramSealer(key);
  const rx = await startInProcessReceiver({ receiver: { keys: [key] } });
  const got: Buffer[] = [];
  rx.receiver.on('frame', (frame) => got.push(Buffer.from(frame.data)));
  const camera = await TestCamera.open(rx.receiver.address.port);
  try {
    assert.equal(rx.receiver.receivePath, 'recvmmsg');
    assert.equal(rx.receiver.stats().security.openedInBatch, true);
    const first = sealedFrame(sealer, 0);
    const flipped = Buffer.from(first[1]!);
    flipped[40]! ^= 4;
    // A forged copy of chunk 1 goes before the real one: refused, so the real one still opens
    // (after chunk 0: a camera's refusals are counted once the camera is known).
    for (const datagram of [first[0]!, flipped, ...first.slice(1), first[2]!]) await camera.sendRaw(datagram);
    await rx.waitForFrames(1);
    for (const datagram of sealedFrame(sealer, 1)) await camera.sendRaw(datagram);
    await rx.waitForFrames(2);
    assert.deepEqual(got, [frames.frame(0), frames.frame(1)]);
    const counted = await until('the two refusals', () => {
      const s = rx.receiver.stats();
      return s.security.rejected === 2 ? s : undefined;
    });
    assert.deepEqual(counted.security.rejectedByReason, {
      malformed: 0,
      unprotected: 0,
      unknownKey: 0,
      replay: 1,
      badTag: 1,
    });
    assert.equal(counted.security.opened, 2 * first.length);
    const [entry] = counted.cameras;
    assert.equal(entry?.rejectedDatagrams?.badTag, 1);
    assert.equal(entry?.rejectedDatagrams?.replay, 1);
  } finally {
    await camera.close();
    await rx.close();
  }
});

test('with --allow, a copy from an address not allowed is dropped before it is opened', async () => {
  const key = new StreamKey(generateKey());
  const sealer = new DatagramSealer(key);
  const rx = await startInProcessReceiver({ receiver: { keys: [key], allow: ['127.0.0.1/32'] } });
  const camera = await TestCamera.open(rx.receiver.address.port);
  const spoofer = await TestCamera.open(rx.receiver.address.port, '127.0.0.1', '127.0.0.2');
  try {
    assert.equal(rx.receiver.stats().security.openedInBatch, false);
    const datagrams = sealedFrame(sealer, 0);
    // Each datagram reaches the receiver first from 127.0.0.2, then from the camera.
    for (const datagram of datagrams) {
      await spoofer.sendRaw(datagram);
      await camera.sendRaw(datagram);
    }
    await rx.waitForFrames(1);
    const s = rx.receiver.stats();
    assert.equal(s.totals.notAllowed, datagrams.length);
    assert.deepEqual([s.security.opened, s.security.rejected], [datagrams.length, 0]);
  } finally {
    await spoofer.close();
    await camera.close();
    await rx.close();
  }
});
