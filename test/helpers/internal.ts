/**
 * The built module of a package file its index does not export, for the tests of that package's
 * insides: `(await import(internal('sender', 'schedule.js'))) as typeof import('…/src/schedule.js')`
 * (the type query is erased, so only the built path is loaded).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './fixtures.js';

/** file: URL of packages/<pkg>/dist/<file>. */
export function internal(pkg: string, file: string): string {
  return pathToFileURL(path.join(REPO_ROOT, 'packages', pkg, 'dist', file)).href;
}
