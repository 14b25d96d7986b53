/**
 * The sendmmsg send path (@udpcam/udp-native) against node:dgram's own, on real loopback sockets:
 * the same bytes in the same order either way, for plain and protected frames, IPv4 and IPv6; a
 * receiver that is not there yet (ICMP port unreachable) fails no frame; a closed socket is
 * never written to; bad arguments are refused. The addon is built by `npm ci` on Linux: there
 * these tests require it.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { constants } from 'node:os';
import { describe, test } from 'node:test';
import { DatagramOpener, FrameAssembler, generateKey, StreamKey } from '@udpcam/protocol';
import { Transmitter } from '@udpcam/sender';
import { nativeUdpProblem, sendBatches } from '@udpcam/udp-native';
import { startCli } from '../../helpers/cli.js';
import { makeJpeg } from '../../helpers/frames.js';
import { settle } from '../../helpers/settle.js';

const skip = process.platform !== 'linux' ? 'sendmmsg is Linux only' : undefined;

/** A socket on `address` that keeps every datagram it hears. */
async function listener(type: 'udp4' | 'udp6', address: string) {
  const socket = dgram.createSocket(type);
  const heard: Buffer[] = [];
  socket.on('message', (datagram) => heard.push(datagram));
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  socket.setRecvBufferSize(8 * 1024 * 1024);
  return { socket, heard, port: socket.address().port };
}

/** Opens every protected datagram heard (each must) and reassembles them: the frames, in order. */
function openFrames(heard: readonly Buffer[], key: StreamKey): Buffer[] {
  const opener = new DatagramOpener([key]);
  const assembler = new FrameAssembler();
  const frames: Buffer[] = [];
  for (const datagram of heard) {
    const plain = opener.open(datagram);
    assert.ok(Buffer.isBuffer(plain), 'every datagram opens');
    const frame = assembler.push(plain, 'sender', 0);
    if (frame !== undefined) frames.push(Buffer.from(frame.data));
  }
  return frames;
}

async function connected(type: 'udp4' | 'udp6', address: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket(type);
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  await new Promise<void>((resolve, reject) =>
    socket.connect(port, address, (error?: Error) => (error ? reject(error) : resolve())),
  );
  return socket;
}

test('the addon loads here (npm ci builds it on Linux)', { skip }, () => {
  assert.equal(nativeUdpProblem(), undefined);
});

describe('sendBatches', { skip }, () => {
  test('sends single buffers and lists of parts as one datagram each, in order, past 64 a call', async () => {
    const { socket: receiver, heard, port } = await listener('udp4', '127.0.0.1');
    const socket = await connected('udp4', '127.0.0.1', port);
    const datagrams: (Buffer | Buffer[])[] = [];
    const expected: Buffer[] = [];
    for (let i = 0; i < 150; i++) {
      const body = Buffer.alloc(1 + ((i * 97) % 1400), i);
      const header = Buffer.from(`C${String(i % 100).padStart(2, '0')}00`, 'latin1');
      const parts =
        i % 3 === 0 ? [header, body] : i % 3 === 1 ? [header, body.subarray(0, 1), body.subarray(1)] : [];
      datagrams.push(parts.length > 0 ? parts : body);
      expected.push(parts.length > 0 ? Buffer.concat(parts) : body);
    }
    const batch = sendBatches(socket);
    assert.ok(batch, 'a bound socket has a descriptor');
    assert.equal(batch.send(datagrams, 0), 150);
    assert.equal(batch.send(datagrams, 150), 0, 'nothing from past the end');
    assert.equal(batch.send(datagrams.slice(0, 2), 1), 1, 'from `start` on');
    await settle(() => heard.length === 151, 'every datagram arrived');
    assert.deepEqual(heard.slice(0, 150), expected);
    assert.deepEqual(heard[150], expected[1]);
    socket.close();
    await once(socket, 'close');
    assert.equal(batch.send(datagrams, 0), -constants.errno.EBADF, 'a closed socket is never written to');
    receiver.close();
  });

  test('refuses what is not a datagram before sending anything', async () => {
    const { socket: receiver, heard, port } = await listener('udp4', '127.0.0.1');
    const socket = await connected('udp4', '127.0.0.1', port);
    const batch = sendBatches(socket)!;
    const good = Buffer.from('S0000x');
    for (const bad of [['text'], [[]], [[good, good, good, good, good]], [new Uint16Array(4)], [42]]) {
      assert.throws(() => batch.send([good, ...(bad as unknown as Buffer[])], 0), TypeError);
    }
    assert.throws(() => batch.send('x' as unknown as Buffer[], 0), TypeError);
    // One socket's datagrams arrive over loopback in order: once this marker is in, anything the
    // bad lists had sent would be too.
    const marker = Buffer.from('E0000marker');
    assert.equal(batch.send([marker], 0), 1);
    await settle(() => heard.length > 0, 'the marker arrived');
    assert.deepEqual(heard, [marker], 'a bad list sends none of it');
    socket.close();
    receiver.close();
  });

  test('an unbound socket has no descriptor yet: undefined, and the caller keeps dgram', () => {
    const socket = dgram.createSocket('udp4');
    assert.equal(sendBatches(socket), undefined);
    socket.close();
  });
});

for (const [type, host] of [
  ['udp4', '127.0.0.1'],
  ['udp6', '::1'],
] as const) {
  describe(`Transmitter over ${host}: sendmmsg and dgram put the same bytes on the wire`, { skip }, () => {
    test('plain frames, with parity', async () => {
      const wires: Buffer[][] = [];
      for (const nativeUdp of [true, false]) {
        const { socket, heard, port } = await listener(type, host);
        const transmitter = new Transmitter({ host, port, packetSize: 1400, fec: 0.1, nativeUdp });
        let expected = 0;
        for (let frame = 0; frame < 5; frame++) {
          expected += (await transmitter.send(makeJpeg(320 + frame * 32, 240, frame))).datagrams;
        }
        await settle(() => heard.length === expected, `${expected} datagrams arrived`);
        wires.push(heard);
        await transmitter.close();
        socket.close();
      }
      assert.equal(wires[0]!.length, wires[1]!.length);
      assert.deepEqual(wires[0], wires[1]);
    });

    test('protected frames open and reassemble', async () => {
      const key = new StreamKey(generateKey());
      const { socket, heard, port } = await listener(type, host);
      const transmitter = new Transmitter({ host, port, packetSize: 1400, key, nativeUdp: true });
      const jpegs = [0, 1, 2].map((i) => makeJpeg(480, 360, i));
      let expected = 0;
      for (const jpeg of jpegs) expected += (await transmitter.send(jpeg)).datagrams;
      await settle(() => heard.length === expected, 'every datagram arrived');
      assert.deepEqual(openFrames(heard, key), jpegs);
      await transmitter.close();
      socket.close();
    });
  });
}

test('protected frames sent without waiting, through dgram and through sendmmsg, all open: the frame buffer the sealer reuses is never rewritten under a pending send', async () => {
  const key = new StreamKey(generateKey());
  for (const nativeUdp of [false, ...(skip ? [] : [true])]) {
    const { socket, heard, port } = await listener('udp4', '127.0.0.1');
    const transmitter = new Transmitter({
      host: '127.0.0.1',
      port,
      packetSize: 1400,
      key,
      nativeUdp,
      fec: 0.1,
    });
    const jpegs = Array.from({ length: 20 }, (_, i) => makeJpeg(640, 480, i));
    // Not awaited one by one: the transmitter queues each frame behind the one going out.
    const results = await Promise.all(jpegs.map((jpeg) => transmitter.send(jpeg)));
    const expected = results.reduce((n, result) => n + result.datagrams, 0);
    await settle(() => heard.length === expected, 'every datagram arrived');
    assert.deepEqual(openFrames(heard, key), jpegs, `nativeUdp ${nativeUdp}`);
    await transmitter.close();
    socket.close();
  }
});

test('a receiver that is not listening yet fails no frame (ICMP port unreachable is retried past)', {
  skip,
}, async () => {
  const { socket: probe, port } = await listener('udp4', '127.0.0.1');
  probe.close();
  await once(probe, 'close');
  const transmitter = new Transmitter({ host: '127.0.0.1', port, packetSize: 1400, nativeUdp: true });
  for (let frame = 0; frame < 5; frame++) {
    const jpeg = makeJpeg(480, 360, frame);
    const result = await transmitter.send(jpeg);
    assert.equal(result.datagrams, Math.ceil(jpeg.length / 1400));
  }
  await transmitter.close();
});

test('udpcam send says on its start line how it sends, and UDPCAM_NATIVE_UDP=0 keeps dgram', async () => {
  for (const [env, path] of [
    [{ UDPCAM_NATIVE_UDP: '' }, skip ? 'node:dgram' : 'sendmmsg'],
    [{ UDPCAM_NATIVE_UDP: '0' }, 'node:dgram'],
  ] as const) {
    const { socket, heard, port } = await listener('udp4', '127.0.0.1');
    const cli = startCli(['send', '--ip', '127.0.0.1', '--port', String(port), '--frames', '3'], env);
    const [, said] = await cli.waitFor(/sent by (\S+) \(Ctrl-C to stop\)/);
    assert.equal(said, path);
    assert.equal(await cli.exited, 0);
    // Three frames of the test pattern: each ends with an E chunk.
    await settle(() => heard.filter((datagram) => datagram[0] === 0x45).length === 3, 'three frames arrived');
    socket.close();
  }
});
