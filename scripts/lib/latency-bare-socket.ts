/**
 * bench-snapshot's yardstick (a child process, pinned like the server): a bare dgram socket on
 * 127.0.0.1 whose 'message' handler only counts, and nothing else loaded, so its CPU is what any
 * Node receiver pays to take the same datagrams — the floor under the server's figure. Same line
 * protocol as fanout-server.ts: prints `ready <udpPort>`; `cpu` on stdin answers with this
 * process's CPU time so far (µs, user + system) as JSON; `exit` ends it.
 */
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';

const socket = dgram.createSocket('udp4');
let datagrams = 0;
socket.on('message', () => {
  datagrams++;
});
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
try {
  // As large as the receiver asks for (Linux caps it at net.core.rmem_max).
  socket.setRecvBufferSize(32 * 1024 * 1024);
} catch {}
process.stdout.write(`ready ${socket.address().port}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuUs: user + system, datagrams })}\n`);
  } else if (line === 'exit') {
    socket.close();
    process.exit(0);
  }
});
