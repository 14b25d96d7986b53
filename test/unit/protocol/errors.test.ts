/** Every error code is documented in docs/errors.md, and every documented code exists. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES, isUdpcamError, UdpcamError } from '@udpcam/protocol';
import { REPO_ROOT } from '../../helpers/cli.js';

test('docs/errors.md lists exactly the codes in ERROR_CODES', () => {
  const doc = readFileSync(`${REPO_ROOT}docs/errors.md`, 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(UDPCAM_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]));
  assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
});

test('UdpcamError carries its code and cause', () => {
  const cause = new Error('low level');
  const error = new UdpcamError('UDPCAM_ERR_OUT_DIR', 'cannot write', { cause });
  assert.equal(error.code, 'UDPCAM_ERR_OUT_DIR');
  assert.equal(error.cause, cause);
  assert.ok(isUdpcamError(error));
  assert.ok(!isUdpcamError(cause));
});
