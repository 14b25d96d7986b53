/**
 * Fuzz (issue 11): random and malformed methods, request targets and headers against `udpcam
 * area`, over real sockets. The tool must survive every one (none may quit it or write its file)
 * and keep answering; no request may earn a 5xx.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startArea } from '../../helpers/area.js';
import { request } from '../../helpers/http.js';
import { AREA_PATHS, fuzzServer } from '../../helpers/http-fuzz.js';

test('the area tool survives 300 random requests and answers each', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-area-fuzz-'));
  const out = path.join(dir, 'capture_area.json');
  const { cli, url } = await startArea(['--source', 'test', '--size', '160x120', '--out', out]);
  try {
    const statuses = await fuzzServer(Number(new URL(url).port), AREA_PATHS, 300, async () => {
      assert.equal(cli.child.exitCode, null, `the tool exited: ${cli.stderr.join('\n')}`);
    });
    t.diagnostic(`statuses: ${JSON.stringify([...statuses].sort())}`);
    assert.equal((await request(`${url}api/area`)).status, 200);
    assert.equal(existsSync(out), false, 'nothing was saved');
  } finally {
    await cli.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
