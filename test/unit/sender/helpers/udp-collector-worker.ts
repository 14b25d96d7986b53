/**
 * The socket side of UdpCollector, on its own thread: it stamps each datagram the moment it is
 * read, so a test whose main thread is busy encoding still sees true arrival times and never
 * lets the kernel buffer overflow.
 */
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';

const { host } = workerData as { host: string };
const port = parentPort!;
const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');

socket.on('message', (datagram, remote) => {
  // Absolute ms, so the main thread can map it onto its own performance timeline.
  const at = performance.timeOrigin + performance.now();
  port.postMessage({ datagram, at, from: `${remote.address}:${remote.port}` });
});
socket.on('error', (error) => port.postMessage({ error: error.message }));
socket.bind(0, host, () => {
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024);
  } catch {
    // The kernel default is enough for these tests' frame sizes.
  }
  port.postMessage({ port: socket.address().port });
});
port.on('message', (message) => {
  if (message === 'close') socket.close(() => port.close());
});
