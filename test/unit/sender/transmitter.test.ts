import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Transmitter } from '@udpcam/sender';

import { sendError } from '#sender/transmitter.js';

// Option checks and error mapping, no datagrams; sending is tested in test/integration/sender.
describe('Transmitter options', () => {
  it('derives the socket type from the host and works out the largest frame', async () => {
    const v4 = new Transmitter({ host: '127.0.0.1', port: 9999, packetSize: 8000 });
    const v6 = new Transmitter({ host: '::1', port: 9999, packetSize: 1000 });
    const legacy = new Transmitter({ host: '127.0.0.1', port: 9999, packetSize: 8000, legacy: true });
    const named = new Transmitter({ host: 'localhost', port: 9999, packetSize: 8000, type: 'udp6' });
    assert.equal(v4.type, 'udp4');
    assert.equal(v6.type, 'udp6');
    assert.equal(named.type, 'udp6');
    assert.equal(v4.target, '127.0.0.1:9999');
    assert.equal(v6.target, '[::1]:9999');
    assert.equal(v4.maxFrameBytes, 800_000);
    assert.equal(v6.maxFrameBytes, 100_000);
    // The Python sender counts 112 bytes more than the JPEG when it splits it.
    assert.equal(legacy.maxFrameBytes, 800_000 - 112);
    await Promise.all([v4.close(), v6.close(), legacy.close(), named.close(), v4.close()]);
  });

  it('rejects options that cannot work, with coded errors', () => {
    const ok = { host: '127.0.0.1', port: 9999, packetSize: 1400 };
    assert.throws(() => new Transmitter({ ...ok, host: '' }), { code: 'UDPCAM_ERR_INVALID_OPTION' });
    assert.throws(() => new Transmitter({ ...ok, port: 0 }), { code: 'UDPCAM_ERR_INVALID_OPTION' });
    assert.throws(() => new Transmitter({ ...ok, port: 70000 }), { code: 'UDPCAM_ERR_INVALID_OPTION' });
    assert.throws(() => new Transmitter({ ...ok, packetSize: 8 }), {
      code: 'UDPCAM_ERR_INVALID_PACKET_SIZE',
    });
    assert.throws(() => new Transmitter({ ...ok, packetSize: 70000 }), {
      code: 'UDPCAM_ERR_INVALID_PACKET_SIZE',
    });
    assert.throws(() => new Transmitter({ ...ok, type: 'udp6' }), {
      code: 'UDPCAM_ERR_INVALID_OPTION',
      message: /IPv4 address but type is udp6/,
    });
  });
});

describe('sendError', () => {
  const errno = (code: string) => Object.assign(new Error(`send ${code}`), { code });

  it('maps unreachable and unusable addresses to UDPCAM_ERR_ADDRESS_NOT_AVAILABLE naming host:port', () => {
    for (const code of [
      'EADDRNOTAVAIL',
      'ENETUNREACH',
      'EHOSTUNREACH',
      'EAFNOSUPPORT',
      'ENOTFOUND',
      'EACCES',
    ]) {
      const error = sendError(errno(code), '192.0.2.7:5000');
      assert.equal(error.code, 'UDPCAM_ERR_ADDRESS_NOT_AVAILABLE', code);
      assert.match(error.message, /192\.0\.2\.7:5000/);
      assert.match(error.message, new RegExp(code));
      assert.equal((error.cause as NodeJS.ErrnoException).code, code);
    }
  });

  it('maps EMSGSIZE to UDPCAM_ERR_INVALID_PACKET_SIZE', () => {
    assert.equal(sendError(errno('EMSGSIZE'), '[::1]:5000').code, 'UDPCAM_ERR_INVALID_PACKET_SIZE');
  });
});
