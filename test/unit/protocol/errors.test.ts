/** The error table: every code and warning is documented in docs/errors.md with its kind, and nothing else is. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS, httpStatus, isUdpcamError, UdpcamError, WARNINGS } from '@udpcam/protocol';
import { REPO_ROOT } from '../../helpers/cli.js';

const doc = readFileSync(`${REPO_ROOT}docs/errors.md`, 'utf8');

test('docs/errors.md lists exactly the codes in ERRORS, each with the kind the table gives it', () => {
  const documented = [...doc.matchAll(/^\| `(UDPCAM_ERR_[A-Z_]+)`\s*\|\s*(\w+)\s*\|/gm)].map((m) => [
    m[1],
    m[2],
  ]);
  const table = Object.entries(ERRORS);
  assert.deepEqual(documented.sort(), table.sort());
});

test('docs/errors.md lists exactly the warning codes in WARNINGS', () => {
  const documented = [...doc.matchAll(/^\| `(UDPCAM_WARN_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), [...WARNINGS].sort());
});

test('UdpcamError carries its code, its kind from the table and its cause', () => {
  const cause = new Error('low level');
  const error = new UdpcamError('UDPCAM_ERR_OUT_DIR', 'cannot write', { cause });
  assert.equal(error.code, 'UDPCAM_ERR_OUT_DIR');
  assert.equal(error.kind, 'retryable');
  assert.equal(error.cause, cause);
  assert.ok(isUdpcamError(error));
  assert.ok(!isUdpcamError(cause));
  assert.equal(new UdpcamError('UDPCAM_ERR_SOURCE_SPEC', 'bad spec').kind, 'user');
  assert.equal(new UdpcamError('UDPCAM_ERR_CLOSED', 'closed').kind, 'fatal');
});

test('httpStatus: the own status of the error, else 422 for user errors and 500 for the rest', () => {
  assert.equal(httpStatus(new UdpcamError('UDPCAM_ERR_HTTP_REQUEST', 'too large', { status: 413 })), 413);
  assert.equal(httpStatus(new UdpcamError('UDPCAM_ERR_CONFIG', 'bad area')), 422);
  assert.equal(httpStatus(new UdpcamError('UDPCAM_ERR_SOURCE', 'no frame')), 500);
  assert.equal(httpStatus(new Error('bug')), 500);
});
