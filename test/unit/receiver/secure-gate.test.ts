/** SecureGate: what a Receiver passes to reassembly, drops, counts and says, with and without keys. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatagramSealer, encodeHeader, generateKey, StreamKey } from '@udpcam/protocol';
import { SecureGate } from '#receiver/secure-gate.js';

const key = new StreamKey(generateKey());
const plain = () => Buffer.concat([encodeHeader('S', 0, 0), Buffer.from('payload')]);
const sealed = (sealer: DatagramSealer) =>
  Buffer.concat(sealer.seal(encodeHeader('S', 0, 0), Buffer.from('payload')));

test('without keys: plain datagrams pass untouched; protected ones are dropped, counted and told once per address', () => {
  const notices: string[] = [];
  const gate = new SecureGate(
    undefined,
    (message) => notices.push(message),
    () => true,
  );
  const datagram = plain();
  assert.equal(gate.pass(datagram, '10.0.0.5:5000'), datagram);
  const sealer = new DatagramSealer(key);
  for (const sender of ['10.0.0.5:5000', '10.0.0.5:5001', '10.0.0.6:5000', '10.0.0.5:5000']) {
    assert.equal(gate.pass(sealed(sealer), sender), undefined);
  }
  assert.deepEqual(notices, [
    'encrypted stream from 10.0.0.5:5000: pass --key',
    'encrypted stream from 10.0.0.6:5000: pass --key',
  ]);
  const report = gate.report();
  assert.equal(report.protected, false);
  assert.equal(report.encrypted, 4);
  assert.equal(report.rejected, 0);
});

test('with a key: protected datagrams open, everything else is counted by reason, per tracked sender only', () => {
  const notices: string[] = [];
  const gate = new SecureGate(
    [key],
    (message) => notices.push(message),
    (sender) => sender === 'cam:1',
  );
  const sealer = new DatagramSealer(key);
  const wire = sealed(sealer);
  assert.deepEqual(gate.pass(Buffer.from(wire), 'cam:1'), plain());
  assert.equal(gate.pass(Buffer.from(wire), 'cam:1'), undefined, 'replay');
  assert.equal(gate.pass(plain(), 'cam:1'), undefined, 'unprotected');
  assert.equal(gate.pass(plain(), 'spoofed:9'), undefined);
  assert.deepEqual(gate.rejectedFrom('cam:1'), {
    malformed: 0,
    unprotected: 1,
    unknownKey: 0,
    replay: 1,
    badTag: 0,
  });
  assert.equal(gate.rejectedFrom('spoofed:9'), undefined, 'untracked senders take no memory');
  assert.deepEqual(notices, [
    'unprotected stream from cam:1 dropped: this receiver has --key, the sender has none',
    'unprotected stream from spoofed:9 dropped: this receiver has --key, the sender has none',
  ]);
  const report = gate.report();
  assert.deepEqual(report.keyIds, [key.idHex]);
  assert.equal(report.opened, 1);
  assert.equal(report.rejected, 3);
  assert.ok(!JSON.stringify(report).includes(key.idHex.repeat(8)));
});

test('with a key: sealed parity the assembler calls late is dropped unopened and counted; nothing else is', () => {
  const gate = new SecureGate(
    [key],
    () => {},
    () => true,
    (sender, imageId) => sender === 'cam:1' && imageId === 7,
  );
  const sealer = new DatagramSealer(key);
  const seal = (type: 'S' | 'P', imageId: number) =>
    Buffer.concat(sealer.seal(encodeHeader(type, imageId, 0), Buffer.from('payload')));
  assert.equal(gate.pass(seal('P', 7), 'cam:1'), undefined, 'late parity');
  assert.ok(gate.pass(seal('P', 8), 'cam:1'), 'parity of another frame opens');
  assert.ok(gate.pass(seal('S', 7), 'cam:1'), 'a chunk of that frame opens');
  assert.ok(gate.pass(seal('P', 7), 'cam:2'), 'parity from another sender opens');
  const report = gate.report();
  assert.deepEqual([report.lateParity, report.opened, report.rejected], [1, 3, 0]);
});
