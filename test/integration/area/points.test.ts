/** `udpcam area --points`: the capture area from the command line, no page. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertSchemaValid } from '../../helpers/area.js';
import { runCli } from '../../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'udpcam-area-points-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('--points writes the original format, schema-valid, and exits 0', async () => {
  const out = path.join(dir, 'area.json');
  const run = await runCli([
    'area',
    '--source',
    'test',
    '--size',
    '640x360',
    '--points',
    '40,30 600,20.4 620,340 20.6,330',
    '--output-size',
    '800x450',
    '--out',
    out,
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`wrote ${out.replace(/[.]/g, '\\.')}`));
  const saved = JSON.parse(await readFile(out, 'utf8'));
  assertSchemaValid(saved);
  // Whole source pixels (pixel edges), as the original's clicks gave.
  assert.deepEqual(saved, {
    selected_rect: [
      [40, 30],
      [600, 20],
      [620, 340],
      [21, 330],
    ],
    visible_rect: [
      [0, 0],
      [800, 0],
      [800, 450],
      [0, 450],
    ],
  });
  // The output size defaults to the source frame's.
  const sized = await runCli([
    'area',
    '--size',
    '320x240',
    '--points',
    '0,0 320,0 320,240 0,240',
    '--out',
    out,
  ]);
  assert.equal(sized.code, 0, sized.stderr);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')).visible_rect, [
    [0, 0],
    [320, 0],
    [320, 240],
    [0, 240],
  ]);
  // And `udpcam send --area` takes the file.
  const sent = await runCli(['send', '--port', '9', '--frames', '1', '--area', out]);
  assert.equal(sent.code, 0, sent.stderr);
});

test('bad --points: one line, exit 2, nothing written', async () => {
  const out = path.join(dir, 'bad.json');
  for (const [points, reason] of [
    ['40,30 600,20 620,340', /expected 4 points/],
    ['40,30 600,20 620,340 x,330', /bottom-left point "x,330" is not x,y/],
    ['40,30 600,-20 620,340 20,330', /top-right point "600,-20" is not x,y/],
    // Crossed: bottom-right and bottom-left swapped.
    ['40,30 600,20 20,330 620,340', /convex quad/],
    ['40,30 700,20 620,340 20,330', /\[700, 20\] is outside the 640x360 source/],
    ['10,10 20,20 30,30 10,40', /degenerate|convex/],
  ] as const) {
    const run = await runCli(['area', '--points', points, '--out', out]);
    assert.equal(run.code, 2, `${points}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^udpcam area: option '--points <corners>'/);
    assert.match(lines[0]!, reason);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!existsSync(out), 'nothing written');
  }
});

test('an invalid existing --out file: one line naming the file and field, exit 1', async () => {
  const out = path.join(dir, 'broken.json');
  await writeFile(out, JSON.stringify({ selected_rect: [[0, 0]], visible_rect: [] }));
  const run = await runCli(['area', '--http', '0', '--out', out]);
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /broken\.json: selected_rect: must NOT have fewer than 4 items/);
  assert.match(lines[0]!, /\(UDPCAM_ERR_CONFIG\)$/);
});
