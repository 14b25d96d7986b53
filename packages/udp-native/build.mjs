#!/usr/bin/env node
/**
 * Builds the addon with node-gyp (npm's own, as npm runs this), and never fails the install:
 * without a compiler or Node's headers the receiver keeps using node:dgram. Prints one line
 * either way. Plain JavaScript: it runs before the TypeScript build.
 *
 *   node build.mjs               build (the package's install script)
 *   node build.mjs --if-missing  build only when no binary is there (the workspace's prepare:
 *                                npm hides install scripts' output, so a failure shows here)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const say = (line) => console.log(`@udpcam/udp-native: ${line}`);

if (process.argv.includes('--if-missing') && existsSync(path.join(here, 'build/Release/udp_native.node'))) {
  process.exit(0);
}

if (process.platform !== 'linux') {
  say(
    `not built on ${process.platform} (recvmmsg and sendmmsg are Linux only); the receiver and sender use node:dgram`,
  );
  process.exit(0);
}
// npm tells its scripts where its node-gyp is; else the one bundled with npm beside this node.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const gyp = [
  process.env.npm_config_node_gyp,
  path.join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].find((file) => file && existsSync(file));
if (gyp === undefined) {
  say('not built: node-gyp not found; the receiver and sender use node:dgram');
  process.exit(0);
}
const args = [gyp, 'rebuild'];
// Headers installed beside this node (distribution packages, official tarballs): no download.
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include/node/node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const result = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
if (result.status === 0) {
  say("built (batched UDP: recvmmsg to receive, sendmmsg to send; ChaCha20-Poly1305 through Node's OpenSSL)");
} else {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`
    .trim()
    .split('\n');
  // The cause, not node-gyp's boilerplate (its stack, versions, cwd).
  const boilerplate = /^gyp (info|http|ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok))/;
  const cause = output.filter((line) => line.trim() !== '' && !boilerplate.test(line)).slice(-6);
  say(`not built, the receiver and sender use node:dgram. node-gyp said:\n  ${cause.join('\n  ')}`);
}
