/**
 * `npm run bench`: every benchmark in turn, each a child process of its own (so one bench's
 * threads, sockets and heap never colour the next), with progress, a time limit per bench and a
 * summary. Results: bench-results/<name>.json; plots: docs/perf/<name>.svg (what the README shows).
 *
 *   node build/scripts/bench.js [--quick] [--only latency,loss] [--skip gstreamer] [--out DIR] [--unpinned]
 * The shared flags (lib/harness.ts) go to every bench: --quick runs each one's short mode (plots
 * then go to bench-results/quick-plots/).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startBench } from './lib/harness.js';

/** In README order, with a generous limit for the full run (the quick runs take seconds). */
const BENCHES: ReadonlyArray<{ name: string; what: string; limitMin: number }> = [
  { name: 'reassembly', what: 'FrameAssembler throughput, in-process', limitMin: 5 },
  { name: 'receiver', what: 'receiver over loopback vs a bare socket', limitMin: 10 },
  { name: 'latency', what: 'latency distribution sender → receiver → MJPEG client', limitMin: 5 },
  { name: 'cameras', what: 'receiver CPU vs number of cameras', limitMin: 5 },
  { name: 'loss', what: 'delivered frames vs kernel datagram loss, with and without FEC', limitMin: 45 },
  { name: 'fec', what: 'parity encode and rebuild cost per frame, in-process', limitMin: 3 },
  { name: 'pauses', what: 'original framing pausing mid-frame: frames written', limitMin: 2 },
  { name: 'fanout', what: 'HTTP fan-out: clients vs CPU and fps', limitMin: 5 },
  { name: 'gstreamer', what: 'side by side with GStreamer RTP/JPEG: CPU and latency', limitMin: 10 },
  { name: 'fidelity', what: 'JPEG variants through udpcam and GStreamer RTP/JPEG', limitMin: 5 },
  { name: 'snapshot', what: 'the snapshot-server table: 5 cameras at 4 fps', limitMin: 5 },
  { name: 'encode', what: 'sender stages: encode, decode, warp, passthrough', limitMin: 5 },
  { name: 'sender', what: 'the whole sender loop per path', limitMin: 5 },
  { name: 'secure', what: 'protection (--key): cost per 720p frame, 10^6 forged datagrams', limitMin: 10 },
  { name: 'pace', what: 'burst loss vs receive buffer, and the spread of paced frames', limitMin: 5 },
];

const runner = startBench('all', { only: { type: 'string' }, skip: { type: 'string' } });
const values = runner.flags;
const only = values.only?.split(',');
const skip = values.skip?.split(',') ?? [];
for (const name of [...(only ?? []), ...skip]) {
  if (!BENCHES.some((bench) => bench.name === name))
    runner.fail(`no bench called ${JSON.stringify(name)} (${BENCHES.map((b) => b.name).join(', ')})`);
}
/** The shared flags this run was given, passed on to every bench. */
const { only: _only, skip: _skip, ...sharedFlags } = values;
const shared = Object.entries(sharedFlags).flatMap(([flag, value]) =>
  value === true ? [`--${flag}`] : typeof value === 'string' ? [`--${flag}`, value] : [],
);
const chosen = BENCHES.filter(
  (bench) => (only ? only.includes(bench.name) : true) && !skip.includes(bench.name),
);

/** Runs one bench with inherited output; resolves with its exit code (or why it stopped). */
async function runBench(name: string, limitMs: number): Promise<string | number> {
  const script = fileURLToPath(new URL(`./bench-${name}.js`, import.meta.url));
  const child = spawn(process.execPath, [script, ...shared], { stdio: 'inherit', timeout: limitMs });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return signal === 'SIGTERM' ? `stopped after ${limitMs / 60_000} min` : (code ?? String(signal));
}

const outcomes: string[] = [];
for (const [index, bench] of chosen.entries()) {
  console.log(`\n━━ [${index + 1}/${chosen.length}] ${bench.name}: ${bench.what} ━━`);
  const started = performance.now();
  const limitMs = (values.quick ? 2 : bench.limitMin) * 60_000;
  const outcome = await runBench(bench.name, limitMs);
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  outcomes.push(`${bench.name.padEnd(11)} ${outcome === 0 ? 'ok' : `FAILED (${outcome})`}  ${seconds} s`);
}
console.log(`\n━━ summary ━━\n${outcomes.join('\n')}`);
process.exitCode = outcomes.some((line) => line.includes('FAILED')) ? 1 : 0;
