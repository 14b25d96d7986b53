/** allowList: which sender addresses --allow lets in (IPv4, IPv6, IPv4-mapped on a dual-stack socket). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowList } from '#receiver/receiver.js';

describe('allowList', () => {
  it('IPv4 ranges: inside yes, outside no, a bare address is /32', () => {
    const allowed = allowList(['10.0.0.0/8', '192.168.1.7']);
    assert.equal(allowed('10.1.2.3', 'IPv4'), true);
    assert.equal(allowed('11.0.0.1', 'IPv4'), false);
    assert.equal(allowed('192.168.1.7', 'IPv4'), true);
    assert.equal(allowed('192.168.1.8', 'IPv4'), false);
  });

  it('IPv6 ranges, and IPv4 senders seen as ::ffff:a.b.c.d on a dual-stack socket', () => {
    const allowed = allowList(['::1/128', 'fd00::/8', '10.0.0.0/8']);
    assert.equal(allowed('::1', 'IPv6'), true);
    assert.equal(allowed('fd12::5', 'IPv6'), true);
    assert.equal(allowed('fe80::1', 'IPv6'), false);
    assert.equal(allowed('::ffff:10.0.0.9', 'IPv6'), true);
    assert.equal(allowed('::ffff:11.0.0.9', 'IPv6'), false);
  });

  it('the same address gets the same answer again (cached), also past the cache bound', () => {
    const allowed = allowList(['127.0.0.0/8']);
    for (let i = 0; i < 5000; i++) allowed(`10.${(i >> 8) & 255}.${i & 255}.1`, 'IPv4');
    assert.equal(allowed('127.0.0.1', 'IPv4'), true);
    assert.equal(allowed('10.0.0.1', 'IPv4'), false);
  });

  it('a bad range is a coded error naming it', () => {
    for (const range of ['10.0.0.0/33', '::1/129', 'camera.local/8', '10.0.0.0/x', '']) {
      assert.throws(() => allowList([range]), {
        code: 'UDPCAM_ERR_INVALID_OPTION',
        message: new RegExp(`got ${range.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
      });
    }
  });
});
