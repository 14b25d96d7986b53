import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '@udpcam/protocol';
import fc from 'fast-check';

test('crc32 is zlib’s CRC-32, whole and continued, whichever backend loaded', () => {
  // The check value of CRC-32/ISO-HDLC.
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(3000), (bytes, cut) => {
      const data = Buffer.from(bytes);
      const at = Math.min(cut, data.length);
      assert.equal(crc32(data), zlibCrc32(data));
      assert.equal(crc32(data.subarray(at), crc32(data.subarray(0, at))), zlibCrc32(data));
    }),
    { numRuns: 500, seed: 20261202 },
  );
});

test('the native backend is installed here, so the fast path is the one tested', () => {
  const native = createRequire(import.meta.url)('@node-rs/crc32') as { crc32: (d: Uint8Array) => number };
  assert.equal(native.crc32(Buffer.from('123456789')), 0xcbf43926);
});
