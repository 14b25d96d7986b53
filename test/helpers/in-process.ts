/**
 * A receiver and its HTTP server in the test's own process, on loopback, driven by a fake clock:
 * datagrams and HTTP requests are real, time is whatever the test says it is.
 */
import { type HttpOptions, HttpServer, Receiver, type ReceiverOptions } from '@udpcam/receiver';
import { FakeClock } from './clock.js';
import { until } from './http.js';

/** A running in-process receiver with HTTP, and its fake clock. */
export interface InProcessReceiver {
  clock: FakeClock;
  receiver: Receiver;
  web: HttpServer;
  /** Frames the receiver has completed so far. */
  frames(): number;
  /** Resolves once the receiver has completed `count` frames in all. */
  waitForFrames(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens a Receiver on 127.0.0.1 (any port) with an HttpServer, both reading `clock`. */
export async function startInProcessReceiver(
  options: { receiver?: Partial<ReceiverOptions>; http?: Partial<HttpOptions>; clock?: FakeClock } = {},
): Promise<InProcessReceiver> {
  const clock = options.clock ?? new FakeClock();
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1', clock: clock.now, ...options.receiver });
  const web = await HttpServer.listen(receiver, { port: 0, host: '127.0.0.1', ...options.http });
  let frames = 0;
  receiver.on('frame', () => frames++);
  return {
    clock,
    receiver,
    web,
    frames: () => frames,
    async waitForFrames(count) {
      const what = () => `${count} frames at the receiver (${frames} so far)`;
      await until(what(), () => (frames >= count ? true : undefined), 20_000, 5);
    },
    async close() {
      await web.close();
      await receiver.close();
    },
  };
}
