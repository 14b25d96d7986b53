/**
 * bench-fanout's server (a child process, pinned to one core by the parent): a Receiver with its
 * HttpServer on 127.0.0.1. Prints `ready <udpPort> <httpPort>` on stdout; each line `cpu` on stdin
 * answers with this process's CPU time so far (µs, user+system, every thread) as JSON.
 */
import { createInterface } from 'node:readline';
import { HttpServer, Receiver } from '@udpcam/receiver';

const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
const web = await HttpServer.listen(receiver, { port: 0, host: '127.0.0.1', maxClients: 10_000 });
process.stdout.write(`ready ${receiver.address.port} ${web.address.port}\n`);
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'cpu') {
    const { user, system } = process.cpuUsage();
    const frames = receiver.stats().cameras.reduce((sum, c) => sum + c.frames, 0);
    process.stdout.write(`${JSON.stringify({ cpuUs: user + system, frames, clients: web.clientCount() })}\n`);
  } else if (line === 'exit') {
    await web.close();
    await receiver.close();
    process.exit(0);
  }
});
