/** errno mapping: one reason table, one socket-error rule, on real errors from the OS. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { addressError, errnoReason } from '@udpcam/common';

describe('errno', () => {
  it('words a missing file and falls back to the message', async () => {
    const error = await readFile('/nonexistent/udpcam').catch((e: unknown) => e);
    assert.equal(errnoReason(error), 'no such file or folder');
    assert.equal(errnoReason(new Error('odd')), 'odd');
  });

  it('maps a port in use to UDPCAM_ERR_ADDRESS_IN_USE, naming what and the errno', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const second = dgram.createSocket('udp4');
    try {
      const failure = await new Promise<Error>((resolve) => {
        second.once('error', resolve);
        second.bind(holder.address().port, '127.0.0.1');
      });
      const error = addressError(failure, 'UDP 127.0.0.1:1');
      assert.equal(error.code, 'UDPCAM_ERR_ADDRESS_IN_USE');
      assert.equal(error.message, 'UDP 127.0.0.1:1: already in use (EADDRINUSE)');
      assert.equal(error.cause, failure);
    } finally {
      second.close();
      holder.close();
    }
  });

  it('maps EMSGSIZE to UDPCAM_ERR_INVALID_PACKET_SIZE and the rest to UDPCAM_ERR_ADDRESS_NOT_AVAILABLE', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    assert.equal(addressError(errno('EMSGSIZE'), 'x').code, 'UDPCAM_ERR_INVALID_PACKET_SIZE');
    const denied = addressError(errno('EACCES'), 'cannot send to h:1', 'a hint');
    assert.equal(denied.code, 'UDPCAM_ERR_ADDRESS_NOT_AVAILABLE');
    assert.equal(denied.message, 'cannot send to h:1: permission denied (EACCES; a hint)');
  });
});
