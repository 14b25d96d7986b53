/**
 * The Transmitter's resends over real sockets (docs/protocol.md#nack): a NACK from the receiver's
 * own address and port gets the chunk back, on the connected socket; under a key the resend is
 * sealed again with a fresh counter (the receiver's replay window takes it) and a plain or forged
 * NACK gets nothing; a NACK from another port never reaches it.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import {
  DatagramOpener,
  DatagramSealer,
  encodeNack,
  generateKey,
  SECURE_COUNTER_OFFSET,
  StreamKey,
} from '@udpcam/protocol';
import { Transmitter } from '@udpcam/sender';

const FRAME = Buffer.alloc(14_000, 7); // 10 chunks of 1400 bytes
FRAME[0] = 0xff;

/** A socket that queues what it receives. */
async function listener() {
  const socket = dgram.createSocket('udp4');
  const queue: { data: Buffer; port: number }[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data, from) => {
    queue.push({ data, port: from.port });
    waiters.shift()?.();
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const next = async () => {
    while (queue.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return queue.shift()!;
  };
  return { socket, next, queue };
}

for (const keyed of [false, true]) {
  describe(`Transmitter resends${keyed ? ' under a key' : ''}`, () => {
    const key = new StreamKey(generateKey());
    let receiver: Awaited<ReturnType<typeof listener>>;
    let forger: Awaited<ReturnType<typeof listener>>;
    let transmitter: Transmitter;

    before(async () => {
      receiver = await listener();
      forger = await listener();
      transmitter = new Transmitter({
        host: '127.0.0.1',
        port: receiver.socket.address().port,
        packetSize: 1400,
        nack: true,
        key: keyed ? key : undefined,
      });
    });

    after(async () => {
      await transmitter.close();
      receiver.socket.close();
      forger.socket.close();
    });

    test('the chunk asked for comes back to the receiver only, and no more bytes than asked', async () => {
      const result = await transmitter.send(FRAME);
      const originals = [];
      for (let i = 0; i < result.datagrams; i++) originals.push(await receiver.next());
      const senderPort = originals[0]!.port;
      const seal = (nack: Buffer) => {
        if (!keyed) return nack;
        return Buffer.concat(new DatagramSealer(key).seal(nack.subarray(0, 5), nack.subarray(5)));
      };
      const overhead = keyed ? 37 : 0;
      const chunkWire = originals[3]!.data.length;
      // From another port: the connected socket never even sees it.
      forger.socket.send(seal(encodeNack(result.imageId, 0, [1], undefined, 2000)), senderPort, '127.0.0.1');
      if (keyed) {
        // Plain under a key: refused.
        receiver.socket.send(encodeNack(result.imageId, 0, [2], undefined, 2000), senderPort, '127.0.0.1');
      }
      receiver.socket.send(
        seal(encodeNack(result.imageId, 0, [3], undefined, chunkWire - overhead)),
        senderPort,
        '127.0.0.1',
      );
      const resent = await receiver.next();
      assert.equal(resent.port, senderPort);
      assert.equal(resent.data.length, chunkWire);
      if (keyed) {
        const opener = new DatagramOpener([key]);
        const original = opener.open(Buffer.from(originals[3]!.data));
        const again = opener.open(Buffer.from(resent.data));
        assert.ok(
          Buffer.isBuffer(original) && Buffer.isBuffer(again),
          'both open: a fresh counter passes the replay window',
        );
        assert.ok(original.equals(again), 'the same chunk');
        assert.equal(
          resent.data.readUInt32BE(SECURE_COUNTER_OFFSET + 4),
          result.datagrams,
          'sealed with the next counter of the session',
        );
      } else {
        assert.ok(resent.data.equals(originals[3]!.data));
      }
      assert.equal(transmitter.nack?.datagramsResent, 1);
      assert.equal(transmitter.nack?.nacksReceived, 1);
      assert.equal(transmitter.nack?.nacksInvalid, keyed ? 1 : 0);
      assert.equal(forger.queue.length, 0, 'the forger got nothing');
      assert.equal(receiver.queue.length, 0, 'nothing else was sent');
    });
  });
}
