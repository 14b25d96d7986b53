/**
 * `udpcam receive`'s back channel (docs/protocol.md#nack) against a real socket playing the
 * sender: a frame missing a chunk brings a NACK to the very address and port the chunks came from,
 * padded to the chunk it asks for; answering it completes the frame byte for byte; a lost E is
 * asked for as the tail when the next frame begins; /api/cameras and /metrics count it all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chunkFrame, decodeNack, ImageIdCycle } from '@udpcam/protocol';
import type { CliProcess } from '../../helpers/cli.js';
import { getJson, request, startHttpReceiver, until } from '../../helpers/http.js';
import { TaggedFrames, TEST_PACKET_SIZE, TestCamera } from '../../helpers/test-camera.js';

const frames = new TaggedFrames(14_000); // 10 chunks of 1400 bytes

describe('receiver NACKs', () => {
  let receiver: CliProcess;
  let base: string;
  let udpPort: number;
  let sender: TestCamera;
  const nacks: { data: Buffer; address: string; port: number }[] = [];

  before(async () => {
    ({ cli: receiver, base, udpPort } = await startHttpReceiver());
    sender = await TestCamera.open(udpPort);
    sender.onMessage((data, from) => nacks.push({ data, address: from.address, port: from.port }));
  });

  after(async () => {
    await sender.close();
    await receiver.stop('SIGKILL');
  });

  const send = (datagram: readonly Buffer[]) => sender.sendRaw(datagram);

  test('a missing chunk is asked for at once, from the receiving port, padded to it; the answer saves the frame', async () => {
    const ids = new ImageIdCycle();
    for (let i = 0; i < 3; i++)
      for (const d of chunkFrame(frames.frame(i), ids.next(), TEST_PACKET_SIZE)) await send(d);
    await until('three frames', async () => {
      const cameras = await getJson<{ id: string; frames: number }[]>(`${base}api/cameras`);
      return cameras.find((c) => c.id === sender.id && c.frames === 3);
    });
    assert.equal(nacks.length, 0, 'nothing is asked while nothing is lost');

    const id = ids.next();
    const chunks = chunkFrame(frames.frame(3), id, TEST_PACKET_SIZE);
    for (const [i, d] of chunks.entries()) if (i !== 4) await send(d);
    const nack = await until('the NACK', async () => nacks[0]);
    assert.deepEqual([nack.address, nack.port], ['127.0.0.1', udpPort]);
    assert.deepEqual(decodeNack(nack.data), { imageId: id, attempt: 0, chunks: [4], tailFrom: undefined });
    const chunkBytes = chunks[4]![0].length + chunks[4]![1].length;
    assert.equal(
      nack.data.length,
      chunkBytes + 1,
      'as long as the chunk it asks for (+1: chunks differ by a byte)',
    );
    await send(chunks[4]!);

    // The next frame loses its E: asked for as the tail when frame 5 begins.
    const tailId = ids.next();
    const tailChunks = chunkFrame(frames.frame(4), tailId, TEST_PACKET_SIZE);
    for (const d of tailChunks.slice(0, -1)) await send(d);
    const next = chunkFrame(frames.frame(5), ids.next(), TEST_PACKET_SIZE);
    await send(next[0]!);
    const tail = await until('the tail NACK', async () => nacks[1]);
    assert.deepEqual(decodeNack(tail.data), {
      imageId: tailId,
      attempt: 0,
      chunks: [],
      tailFrom: tailChunks.length - 1,
    });
    await send(tailChunks.at(-1)!);
    for (const d of next.slice(1)) await send(d);

    const camera = await until('frames 3..5 whole', async () => {
      const cameras = await getJson<
        {
          id: string;
          frames: number;
          nack: { nacksSent: number; retransmitsReceived: number; framesSaved: number };
        }[]
      >(`${base}api/cameras`);
      return cameras.find((c) => c.id === sender.id && c.frames === 6);
    });
    assert.deepEqual(
      [camera.nack.nacksSent, camera.nack.retransmitsReceived, camera.nack.framesSaved],
      [2, 2, 2],
    );
    const metrics = (await request(`${base}metrics`)).body.toString();
    for (const name of ['nacks_sent', 'datagrams_retransmitted', 'frames_saved_by_nack']) {
      assert.match(metrics, new RegExp(`^udpcam_${name}_total\\{camera="${sender.id}"\\} 2$`, 'm'));
    }
    assert.equal(nacks.length, 2, 'no retry once answered');
  });
});
