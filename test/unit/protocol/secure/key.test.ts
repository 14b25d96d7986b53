/** Key files: keygen's text parses back to the same key; bad files fail with UDPCAM_ERR_KEY, never echoing the key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { formatKeyFile, generateKey, parseKeyFile, StreamKey } from '@udpcam/protocol';

test('a formatted key file parses back to the same key id', () => {
  const secret = generateKey();
  const text = formatKeyFile(secret);
  assert.match(text, /^# udpcam stream key [0-9a-f]{8}/);
  assert.match(text, /scp/);
  const [key, ...rest] = parseKeyFile(text, 'cam.key');
  assert.equal(rest.length, 0);
  assert.equal(key!.id, new StreamKey(secret).id);
});

test('two key lines give two keys (old and new, for rotation)', () => {
  const a = generateKey();
  const b = generateKey();
  const keys = parseKeyFile(formatKeyFile(a) + formatKeyFile(b), 'both.key');
  assert.deepEqual(
    keys.map((k) => k.id),
    [new StreamKey(a).id, new StreamKey(b).id],
  );
});

test('bad key files fail with one line that names the file, not the key', () => {
  const secret = generateKey().toString('hex');
  for (const text of [
    '',
    '# only a comment\n',
    `udpcam-key-v1 ${secret.slice(2)}`,
    secret,
    'udpcam-key-v1 zz',
  ]) {
    assert.throws(
      () => parseKeyFile(text, 'cam.key'),
      (error: Error & { code?: string }) =>
        error.code === 'UDPCAM_ERR_KEY' &&
        error.message.includes('cam.key') &&
        !error.message.includes(secret.slice(2)),
    );
  }
  assert.throws(() => parseKeyFile(`udpcam-key-v1 ${secret}\nudpcam-key-v1 ${secret}\n`, 'twice.key'), {
    code: 'UDPCAM_ERR_KEY',
  });
});

test('a key never prints its material', () => {
  const secret = generateKey();
  const key = new StreamKey(secret);
  const hex = secret.toString('hex');
  for (const shown of [
    inspect(key),
    JSON.stringify({ key }),
    String(JSON.stringify(key)),
    inspect(key.key),
  ]) {
    assert.ok(!shown.includes(hex), shown);
    assert.ok(!shown.includes(secret.toString('base64')), shown);
  }
  assert.equal(JSON.stringify(key), JSON.stringify(`StreamKey(${key.idHex})`));
});
