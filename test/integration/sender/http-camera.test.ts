import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { isUdpcamError, isWellFormedJpeg } from '@udpcam/protocol';
// Not exported from @udpcam/sender's index yet: load it from its dist folder.
import { HttpCameraSource } from '@udpcam/sender';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';
import { settle, turns } from '../../helpers/settle.js';

type State = NonNullable<HttpCameraSource['state']>;

const frames = [makeJpeg(32, 24, 1), padJpegTo(makeJpeg(16, 16, 2), 70_000), makeJpeg(40, 30, 3)];
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An MJPEG server: sends frames[i % n] every `intervalMs` to each client, in its own flavour. */
function mjpegHandler(options: {
  intervalMs?: number;
  lengths?: boolean;
  contentType?: string;
  boundary?: string;
  eol?: string;
}) {
  const boundary = options.boundary ?? 'myboundary';
  const eol = options.eol ?? '\r\n';
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'Content-Type': options.contentType ?? `multipart/x-mixed-replace; boundary="${boundary}"`,
      'Cache-Control': 'no-cache',
    });
    let i = 0;
    const send = () => {
      const image = frames[i++ % frames.length]!;
      const head = [`--${boundary}`, 'Content-Type: image/jpeg'];
      if (options.lengths ?? true) head.push(`Content-Length: ${image.length}`);
      res.write(head.join(eol) + eol + eol);
      // Split the frame to exercise chunk boundaries.
      res.write(image.subarray(0, 100));
      res.write(Buffer.concat([image.subarray(100), Buffer.from(eol)]));
    };
    send();
    const timer = setInterval(send, options.intervalMs ?? 20);
    res.on('close', () => clearInterval(timer));
  };
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function isKnownFrame(data: Buffer): boolean {
  return frames.some((frame) => frame.equals(data));
}

describe('HttpCameraSource', () => {
  it('streams MJPEG frames byte-identical, with and without Content-Length, LF-only', async () => {
    const flavours = [
      { lengths: true },
      {
        lengths: false,
        eol: '\n',
        contentType: 'multipart/x-mixed-replace;boundary=--frame',
        boundary: 'frame',
      },
    ];
    for (const flavour of flavours) {
      const server = createServer(mjpegHandler(flavour));
      const port = await listen(server);
      const source = new HttpCameraSource(`http://127.0.0.1:${port}/video`);
      try {
        await source.start();
        const seen = new Set<number>();
        let last = 0;
        for (let n = 0; n < 6; n++) {
          const frame = await source.grab();
          assert.ok(isKnownFrame(frame.data), 'frame is one of the served JPEGs');
          seen.add(frames.findIndex((f) => f.equals(frame.data)));
          assert.ok(frame.captureUs > last, 'each grab returns a newer frame');
          last = frame.captureUs;
          assert.ok(frame.width !== undefined && frame.width > 0);
        }
        assert.ok(seen.size >= 2);
        assert.equal(source.mode, 'stream');
      } finally {
        await source.stop();
        await close(server);
      }
    }
  });

  it('reconnects by itself after the server drops and comes back on the same port', async () => {
    let server = createServer(mjpegHandler({}));
    const port = await listen(server);
    const states: State[] = [];
    const source = new HttpCameraSource(`http://127.0.0.1:${port}/`, {
      minRetryMs: 50,
      maxRetryMs: 200,
      grabTimeoutMs: 20_000,
      onState: (state) => states.push(state),
    });
    try {
      await source.start();
      assert.ok(isKnownFrame((await source.grab()).data));
      await close(server);
      // Wait for the source to notice (no fixed sleep: it notices when it does).
      for (const started = performance.now(); !states.includes('retrying'); await delay(5)) {
        if (performance.now() - started > 20_000) assert.fail(`no retry: ${states.join(' ')}`);
      }
      server = createServer(mjpegHandler({}));
      await listen(server, port);
      const frame = await source.grab();
      assert.ok(isKnownFrame(frame.data));
      const retrying = states.indexOf('retrying');
      assert.ok(states.indexOf('streaming', retrying) > retrying, `states: ${states.join(' ')}`);
      assert.equal(source.state, 'streaming');
    } finally {
      await source.stop();
      await close(server);
    }
  });

  it('backs off 250, 500, 1000 ms between reconnects, waited on the timer', async (t) => {
    // setTimeout is mocked: a reconnect happens when the test moves time past its delay, never
    // before. The refused connections are real.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const server = createServer();
    const port = await listen(server);
    await close(server); // nothing listens there now
    const states: Array<[State, string]> = [];
    const source = new HttpCameraSource(`http://127.0.0.1:${port}/`, {
      onState: (state, detail) => states.push([state, detail]),
    });
    const retries = () => states.filter(([state]) => state === 'retrying');
    const connects = () => states.filter(([state]) => state === 'connecting').length;
    try {
      await source.start();
      for (const [i, delayMs] of [250, 500, 1000].entries()) {
        await settle(() => retries().length === i + 1, `retry ${i + 1}`);
        assert.match(retries()[i]![1], new RegExp(`connection refused, retrying in ${delayMs} ms$`));
        const connected = connects();
        t.mock.timers.tick(delayMs - 1);
        await turns();
        assert.equal(connects(), connected, `no reconnect 1 ms before the ${delayMs} ms delay is up`);
        t.mock.timers.tick(1);
        await settle(() => connects() === connected + 1, `reconnect ${i + 1}`);
      }
    } finally {
      await source.stop();
      t.mock.timers.reset();
    }
  });

  it('says what is wrong when grab times out while the camera is down', async () => {
    const server = createServer();
    const port = await listen(server);
    await close(server); // nothing listens there now
    const source = new HttpCameraSource(`http://127.0.0.1:${port}/cam`, {
      grabTimeoutMs: 400,
      minRetryMs: 50,
    });
    try {
      await source.start();
      await assert.rejects(
        source.grab(),
        (e) =>
          isUdpcamError(e) &&
          e.code === 'UDPCAM_ERR_SOURCE' &&
          e.message.includes(`http://127.0.0.1:${port}/cam: connection refused, retrying`),
      );
    } finally {
      await source.stop();
    }
  });

  it('polls a snapshot URL for a fresh image on each grab', async () => {
    let served = 0;
    const server = createServer((_req, res) => {
      const image = frames[served++ % frames.length]!;
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': image.length });
      res.end(image);
    });
    const port = await listen(server);
    const source = new HttpCameraSource(`http://127.0.0.1:${port}/snapshot.jpg`);
    try {
      await source.start();
      for (let n = 0; n < 4; n++) {
        const frame = await source.grab();
        assert.ok(frame.data.equals(frames[n % frames.length]!), `snapshot ${n}`);
      }
      assert.equal(source.mode, 'snapshot');
      assert.equal(served, 4);
    } finally {
      await source.stop();
      await close(server);
    }
  });

  it('sends Basic auth from the URL; a wrong password gives a clear state without the password', async () => {
    const expected = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
    const stream = mjpegHandler({});
    const server = createServer((req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="cam"' });
        res.end();
        return;
      }
      stream(req, res);
    });
    const port = await listen(server);
    const good = new HttpCameraSource(`http://admin:s3cret@127.0.0.1:${port}/`);
    const details: string[] = [];
    const states: State[] = [];
    const bad = new HttpCameraSource(`http://admin:wrong@127.0.0.1:${port}/`, {
      grabTimeoutMs: 500,
      minRetryMs: 50,
      onState: (state, detail) => {
        states.push(state);
        details.push(detail);
      },
    });
    try {
      assert.ok(!good.name.includes('s3cret'));
      await good.start();
      assert.ok(isKnownFrame((await good.grab()).data));
      await bad.start();
      await assert.rejects(
        bad.grab(),
        (e) => isUdpcamError(e) && /HTTP 401/.test(e.message) && !e.message.includes('wrong'),
      );
      assert.ok(states.includes('retrying'));
      // Not includes('401'): the port number may contain those digits.
      const retry = details.find((d) => d.includes('HTTP 401'));
      assert.ok(retry?.includes('check the password of admin'), retry);
      assert.ok(details.every((d) => !d.includes('wrong')));
      // The auth option works too.
      const viaOption = new HttpCameraSource(`http://127.0.0.1:${port}/`, { auth: 'admin:s3cret' });
      await viaOption.start();
      try {
        assert.ok(isKnownFrame((await viaOption.grab()).data));
      } finally {
        await viaOption.stop();
      }
    } finally {
      await good.stop();
      await bad.stop();
      await close(server);
    }
  });

  it('reads MJPEG served by ffmpeg over HTTP', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await close(probe);
    let ffmpeg: ChildProcess | undefined;
    const source = new HttpCameraSource(`http://127.0.0.1:${port}/`, { minRetryMs: 100, maxRetryMs: 300 });
    try {
      ffmpeg = spawn(
        '/usr/bin/ffmpeg',
        [
          ...['-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10'],
          ...['-f', 'mpjpeg', '-listen', '1', `http://127.0.0.1:${port}/`],
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      await source.start(); // refused until ffmpeg listens: the source retries by itself
      for (let n = 0; n < 3; n++) {
        const frame = await source.grab();
        assert.ok(isWellFormedJpeg(frame.data));
        assert.equal(frame.width, 320);
        assert.equal(frame.height, 240);
      }
      assert.equal(source.mode, 'stream');
    } finally {
      await source.stop();
      if (ffmpeg !== undefined && ffmpeg.exitCode === null) {
        const exited = new Promise((resolve) => ffmpeg?.once('exit', resolve));
        ffmpeg.kill('SIGKILL');
        await exited;
      }
    }
  });
});
