/**
 * bench-snapshot's yardstick (a child process, pinned like the server): a bare dgram socket on
 * 127.0.0.1 whose 'message' handler only counts, and nothing else loaded, so its CPU is what any
 * Node receiver pays to take the same datagrams — the floor under the server's figure. Same
 * messages as fanout-server.ts (lib/server-child.ts), with datagrams counted instead of frames.
 */
import dgram from 'node:dgram';

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
process.on('message', ({ type, id }: { type: string; id: number }) => {
  if (type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send!({ cpuUs: user + system, datagrams, id });
  } else if (type === 'exit') {
    socket.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', udpPort: socket.address().port });
