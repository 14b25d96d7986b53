/**
 * bench-fanout's, bench-cameras' and bench-snapshot's server (a child process, pinned to one core
 * by the parent): a Receiver with its HttpServer on 127.0.0.1. Driven by lib/server-child.ts
 * over IPC: first {type: 'ready', udpPort, httpPort}; {type: 'cpu'} answers with this process's
 * CPU time so far (µs, user + system, every thread), frames received and HTTP clients.
 */
import { HttpServer, Receiver } from '@udpcam/receiver';

const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
const web = await HttpServer.listen(receiver, { port: 0, host: '127.0.0.1', maxClients: 10_000 });
process.on('message', async ({ type, id }: { type: string; id: number }) => {
  if (type === 'cpu') {
    const { user, system } = process.cpuUsage();
    const frames = receiver.stats().cameras.reduce((sum, c) => sum + c.frames, 0);
    process.send!({ cpuUs: user + system, frames, clients: web.clientCount(), id });
  } else if (type === 'exit') {
    await web.close();
    await receiver.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', udpPort: receiver.address.port, httpPort: web.address.port });
