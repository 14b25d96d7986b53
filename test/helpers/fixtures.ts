/**
 * Test fixtures live in test/fixtures/ and are read at run time, while the compiled tests run from
 * build/test/: the repo root is found by walking up from this file, so both layouts work.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from './wire.js';

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'test', 'fixtures')) && existsSync(path.join(dir, 'package.json')))
      return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no test/fixtures folder above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The workspace root (the folder holding package.json and test/fixtures). */
export const REPO_ROOT = findRepoRoot();

/** Absolute path of a file or folder under test/fixtures/. */
export function fixturePath(...parts: string[]): string {
  return path.join(REPO_ROOT, 'test', 'fixtures', ...parts);
}

/** A `.hex` fixture: its file name, its first-line comment (without '#') and its bytes. */
export interface HexFixture {
  name: string;
  comment: string;
  bytes: Buffer;
}

/**
 * Every `*.hex` file in a fixture folder, sorted by name. Format: a first line starting with '#'
 * that says what the bytes are, then hex byte pairs with any whitespace (possibly none at all).
 */
export function readHexFixtures(...folder: string[]): HexFixture[] {
  const dir = fixturePath(...folder);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.hex'))
    .sort()
    .map((name) => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      const newline = text.indexOf('\n');
      const first = newline < 0 ? text : text.slice(0, newline);
      if (!first.startsWith('#')) throw new Error(`${name}: the first line must be a '#' comment`);
      return {
        name,
        comment: first.slice(1).trim(),
        bytes: fromHex(newline < 0 ? '' : text.slice(newline + 1)),
      };
    });
}
