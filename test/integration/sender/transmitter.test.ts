import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeDatagram, FrameAssembler, HEADER_BYTES, MAX_PACKET_SIZE, parityCount } from '@udpcam/protocol';
import { TestPatternSource, Transmitter } from '@udpcam/sender';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';
import { UdpCollector } from '../../unit/sender/helpers/udp-collector.js';

/** A real JPEG of the test pattern (about 24-29 kB at 640x360, quality 80). */
async function patternJpeg(frame = 0, width = 640, height = 360): Promise<Buffer> {
  const source = new TestPatternSource({ width, height });
  return new JpegJsCodec().encode(Buffer.from(source.render(frame, 1_700_000_000_000)), width, height, 80);
}

/** Whether this machine can bind ::1 (IPv6 may be disabled in a container). */
async function canBindIpv6Loopback(): Promise<boolean> {
  const socket = dgram.createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '::1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

for (const host of ['127.0.0.1', '::1']) {
  describe(`Transmitter over ${host}`, async () => {
    const available = host === '127.0.0.1' || (await canBindIpv6Loopback());
    const skip = available ? false : 'cannot bind ::1 here (IPv6 disabled on this machine)';
    let collector: UdpCollector;
    let jpeg: Buffer;
    before(async () => {
      jpeg = await patternJpeg();
      if (available) collector = await UdpCollector.open(host);
    });
    after(async () => {
      await collector?.close();
    });

    it('sends a frame as header + payload datagrams that reassemble to the same bytes', {
      skip,
    }, async () => {
      collector.reset();
      const transmitter = new Transmitter({ host, port: collector.port, packetSize: 1400 });
      const result = await transmitter.send(jpeg);
      const count = Math.ceil(jpeg.length / 1400);
      assert.deepEqual(result, {
        imageId: 0,
        datagrams: count,
        parityDatagrams: 0,
        bytes: jpeg.length + count * HEADER_BYTES,
      });
      await collector.waitFor(() => collector.frames.length === 1);
      assert.equal(collector.datagrams.length, count);
      const chunks = collector.datagrams.map((d) => decodeDatagram(d.datagram));
      chunks.forEach((chunk, i) => {
        assert.equal(chunk.imageId, 0);
        assert.equal(chunk.chunkId, i);
        assert.equal(chunk.type, i === 0 ? 'S' : i === count - 1 ? 'E' : 'C');
        assert.ok(chunk.payload.length <= 1400 && chunk.payload.length > 0);
      });
      assert.deepEqual(Buffer.concat(chunks.map((c) => c.payload)), jpeg);
      assert.deepEqual(collector.frames[0]!.data, jpeg);
      await transmitter.close();
    });

    it('with fec, m parity datagrams follow the data, and any m of the frame may be lost', {
      skip,
    }, async () => {
      collector.reset();
      const transmitter = new Transmitter({ host, port: collector.port, packetSize: 1000, fec: 0.1 });
      const result = await transmitter.send(jpeg);
      const k = Math.ceil(jpeg.length / 1000);
      const m = parityCount(k, 0.1);
      assert.equal(result.parityDatagrams, m);
      assert.equal(result.datagrams, k + m);
      await collector.waitFor(() => collector.datagrams.length === k + m);
      const headers = collector.datagrams.map((d) => decodeDatagram(d.datagram));
      assert.deepEqual(
        headers.map((h) => `${h.type}${h.chunkId}`),
        [
          ...Array.from({ length: k }, (_, i) => `${i === 0 ? 'S' : i === k - 1 ? 'E' : 'C'}${i}`),
          ...Array.from({ length: m }, (_, i) => `P${i}`),
        ],
      );
      // The m datagrams lost are the first m data chunks: parity rebuilds them.
      const assembler = new FrameAssembler();
      const frames = collector.datagrams
        .slice(m)
        .map((d) => assembler.push(d.datagram, 'cam', 0))
        .filter((frame) => frame !== undefined);
      assert.equal(frames.length, 1);
      assert.deepEqual(frames[0]!.data, jpeg);
      assert.equal(assembler.senderStats('cam')!.framesRecovered, 1);
      await transmitter.close();
    });

    it('never interleaves two frames, even when the second is sent without waiting', { skip }, async () => {
      collector.reset();
      const transmitter = new Transmitter({ host, port: collector.port, packetSize: 500 });
      const second = await patternJpeg(1);
      const results = await Promise.all([
        transmitter.send(jpeg),
        transmitter.send(second),
        transmitter.send(jpeg),
      ]);
      assert.deepEqual(
        results.map((r) => r.imageId),
        [0, 1, 2],
      );
      const total = results.reduce((sum, r) => sum + r.datagrams, 0);
      await collector.waitFor(() => collector.datagrams.length === total);
      const ids = collector.datagrams.map((d) => decodeDatagram(d.datagram).imageId);
      const expected = results.flatMap((r) => new Array<number>(r.datagrams).fill(r.imageId));
      assert.deepEqual(ids, expected);
      await collector.waitFor(() => collector.frames.length === 3);
      assert.deepEqual(collector.frames[1]!.data, second);
      await transmitter.close();
    });

    it('refuses a frame too large for 100 chunks with UDPCAM_ERR_FRAME_TOO_LARGE, sending nothing', {
      skip,
    }, async () => {
      collector.reset();
      for (const legacy of [false, true]) {
        const transmitter = new Transmitter({ host, port: collector.port, packetSize: 100, legacy });
        await assert.rejects(transmitter.send(jpeg), {
          code: 'UDPCAM_ERR_FRAME_TOO_LARGE',
          message: new RegExp(`${jpeg.length} bytes`),
        });
        // The transmitter stays usable; a refused frame does not use up an image id.
        const small = await patternJpeg(0, 160, 120);
        assert.ok(small.length <= transmitter.maxFrameBytes, `${small.length} bytes`);
        const result = await transmitter.send(small);
        if (!legacy) assert.equal(result.imageId, 0);
        await transmitter.close();
      }
      // Both small frames arrive (each ends in an 'E' datagram); nothing else was sent before them.
      await collector.waitFor(() => collector.datagrams.filter((d) => d.datagram[0] === 0x45).length >= 2);
      const starts = collector.datagrams.filter((d) => d.datagram[0] === 0x53);
      assert.equal(starts.length, 2, 'only the two small frames went out');
    });

    it('refuses parity with the legacy framing', () => {
      assert.throws(() => new Transmitter({ host, port: 9, packetSize: 1000, legacy: true, fec: 0.1 }), {
        code: 'UDPCAM_ERR_INVALID_OPTION',
      });
      assert.equal(new Transmitter({ host, port: 9, packetSize: 1000, legacy: true }).fec, 0);
      // The largest packet size leaves no room for a parity datagram's 8-byte sub-header.
      assert.throws(() => new Transmitter({ host, port: 9, packetSize: MAX_PACKET_SIZE, fec: 0.1 }), {
        code: 'UDPCAM_ERR_INVALID_PACKET_SIZE',
      });
    });

    it('frames like the Python sender in legacy mode', { skip }, async () => {
      collector.reset();
      let draws = 0;
      const randoms = [0, 0.9999, 0.5];
      const transmitter = new Transmitter({
        host,
        port: collector.port,
        packetSize: 8000,
        legacy: true,
        random: () => randoms[draws++ % randoms.length]!,
      });
      const small = await patternJpeg(0, 160, 120);
      assert.ok(small.length + 112 <= 8000);
      const results = [
        await transmitter.send(jpeg),
        await transmitter.send(small),
        await transmitter.send(jpeg),
      ];
      assert.deepEqual(
        results.map((r) => r.imageId),
        [10, 99, 55],
      );
      // ceil((L + 112) / 8000) chunks; a frame that fits one is a lone S.
      assert.equal(results[0]!.datagrams, Math.ceil((jpeg.length + 112) / 8000));
      assert.equal(results[1]!.datagrams, 1);
      await collector.waitFor(() => collector.frames.length === 3);
      assert.deepEqual(
        collector.frames.map((f) => f.data),
        [jpeg, small, jpeg],
      );
      await transmitter.close();
    });
  });
}

describe('Transmitter edge cases', () => {
  it('keeps sending to a port where nobody listens, and reaches a receiver that starts later', async () => {
    // Bind and close a socket to get a port that is (almost certainly) free.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const transmitter = new Transmitter({ host: '127.0.0.1', port, packetSize: 1400 });
    const jpeg = await patternJpeg(0, 320, 180);
    for (let i = 0; i < 5; i++) {
      const result = await transmitter.send(jpeg);
      assert.equal(result.imageId, i);
      assert.equal(result.datagrams, Math.ceil(jpeg.length / 1400));
      // Give an ICMP port-unreachable time to come back; it must not surface as an error.
      await sleep(10);
    }
    // A receiver that starts late gets the frames from then on (the socket is connected).
    const late = dgram.createSocket('udp4');
    const received: Buffer[] = [];
    late.on('message', (datagram) => received.push(datagram));
    await new Promise<void>((resolve) => late.bind(port, '127.0.0.1', () => resolve()));
    try {
      const result = await transmitter.send(jpeg);
      for (const started = performance.now(); received.length < result.datagrams; await sleep(5)) {
        if (performance.now() - started > 20_000) break; // a guard against hangs only
      }
      assert.equal(received.length, result.datagrams);
    } finally {
      late.close();
      await transmitter.close();
    }
  });

  it('resolves a host name once and sends to it', async () => {
    const collector = await UdpCollector.open('127.0.0.1');
    const transmitter = new Transmitter({
      host: 'localhost',
      port: collector.port,
      packetSize: 1400,
      type: 'udp4',
    });
    const jpeg = await patternJpeg(0, 160, 120);
    await transmitter.send(jpeg);
    await transmitter.send(jpeg);
    await collector.waitFor(() => collector.frames.length === 2);
    assert.deepEqual(collector.frames[1]!.data, jpeg);
    await transmitter.close();
    await collector.close();
  });

  it('rejects sends after close and closes only once', async () => {
    const transmitter = new Transmitter({ host: '127.0.0.1', port: 9, packetSize: 1400 });
    await Promise.all([transmitter.close(), transmitter.close()]);
    await assert.rejects(transmitter.send(await patternJpeg(0, 160, 120)), /closed/);
  });
});
