/**
 * CameraIdentity: which camera a frame belongs to, across sender restarts (new ephemeral ports),
 * with and without a name in the frame metadata, and with names configured by address.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CameraIdentity, checkCameraNames, isSilent, MIN_SILENCE_MS } from '#receiver/identity.js';

describe('CameraIdentity', () => {
  test('a sender carrying a name keeps its camera from any port, even at once; other hosts cannot take it', () => {
    const identity = new CameraIdentity();
    assert.deepEqual(identity.resolve('10.0.0.5:40001', 'door', 0), { id: 'door', named: true });
    // Restarted: a new port, the old one not even silent yet.
    assert.deepEqual(identity.resolve('10.0.0.5:40002', 'door', 10), { id: 'door', named: true });
    assert.equal(identity.senderOf('door'), '10.0.0.5:40002');
    // The same name from another host is another camera.
    assert.deepEqual(identity.resolve('10.0.0.6:5000', 'door', 20), { id: 'door_10.0.0.6', named: true });
    assert.deepEqual(identity.resolve('10.0.0.5:40002', 'garden', 30), { id: 'garden', named: true });
  });

  test("without a name: a new port continues its address's camera once that went silent, not before", () => {
    const identity = new CameraIdentity({}, 3000);
    // Two senders at once from one address, 10 fps each: two cameras.
    for (let t = 0; t <= 500; t += 100) {
      assert.equal(identity.resolve('10.0.0.5:40001', undefined, t).id, '10.0.0.5_40001');
      assert.equal(identity.resolve('10.0.0.5:40002', undefined, t + 50).id, '10.0.0.5_40002');
    }
    // 40001 restarts as 40003: 1 s (MIN_SILENCE_MS) after its last frame it is not silent yet...
    assert.equal(identity.resolve('10.0.0.5:40003', undefined, 500 + MIN_SILENCE_MS).id, '10.0.0.5_40003');
    identity.forget('10.0.0.5_40003');
    // ...a moment later it is (40002 kept sending), and the new port continues its camera.
    for (let t = 600; t <= 1400; t += 100) identity.resolve('10.0.0.5:40002', undefined, t + 50);
    const restarted = identity.resolve('10.0.0.5:40004', undefined, 500 + MIN_SILENCE_MS + 1);
    assert.deepEqual(restarted, { id: '10.0.0.5_40001', named: false });
    assert.equal(identity.senderOf('10.0.0.5_40001'), '10.0.0.5:40004');
    // Another address never continues it.
    assert.equal(identity.resolve('10.0.0.9:40001', undefined, 60_000).id, '10.0.0.9_40001');
  });

  test('a slow camera (0.5 fps) is silent only after three of its intervals, capped at offlineAfterMs', () => {
    const identity = new CameraIdentity({}, 3000);
    for (let t = 0; t <= 8000; t += 2000) identity.resolve('10.0.0.5:1', undefined, t);
    assert.equal(
      identity.resolve('10.0.0.5:2', undefined, 8000 + 2500).id,
      '10.0.0.5_2',
      'between its frames',
    );
    identity.forget('10.0.0.5_2');
    assert.equal(
      identity.resolve('10.0.0.5:3', undefined, 8000 + 3001).id,
      '10.0.0.5_1',
      'offline: taken over',
    );
  });

  test('a name configured by address alone names any port of it; a second port at once gets its own camera', () => {
    const identity = new CameraIdentity({ '10.0.0.5': 'door', '10.0.0.6:5000': 'gate' });
    assert.deepEqual(identity.resolve('10.0.0.5:40001', undefined, 0), { id: 'door', named: true });
    assert.equal(identity.resolve('10.0.0.5:40002', undefined, 10).id, '10.0.0.5_40002');
    assert.equal(identity.resolve('10.0.0.5:40003', undefined, 10 + 5000).id, 'door', 'door went silent');
    assert.deepEqual(identity.resolve('10.0.0.6:5000', undefined, 20), { id: 'gate', named: true });
    assert.equal(identity.resolve('10.0.0.6:5001', undefined, 30).id, '10.0.0.6_5001');
    // A configured name is not given to another sender that happens to want it.
    assert.equal(identity.resolve('10.0.0.7:1', 'door', 40).id, 'door_10.0.0.7');
    // A carried name shaped like an automatic id is taken for none.
    assert.deepEqual(identity.resolve('10.0.0.8:1', '10.0.0.5_40001', 50), {
      id: '10.0.0.8_1',
      named: false,
    });
  });

  test('forget() lets a camera id go', () => {
    const identity = new CameraIdentity();
    identity.resolve('10.0.0.5:40001', 'door', 0);
    identity.forget('door');
    assert.equal(identity.senderOf('door'), undefined);
    assert.equal(identity.resolve('10.0.0.6:1', 'door', 10).id, 'door');
  });

  test('invalid or colliding configured names are a one-line UDPCAM_ERR_CONFIG', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ '10.0.0.5': '..' }, /the name for 10\.0\.0\.5: "\.\." is not allowed/],
      [{ '10.0.0.5': '.' }, /"\." is not allowed/],
      [{ '10.0.0.5:1': 'a b' }, /"a b" is not allowed/],
      [{ '10.0.0.5': 'door', '10.0.0.6': 'door' }, /"door" is given to both 10\.0\.0\.5 and 10\.0\.0\.6/],
      [
        { '10.0.0.6:1': '10.0.0.5_5000' },
        /"10\.0\.0\.5_5000" for 10\.0\.0\.6:1: it looks like another sender's automatic id/,
      ],
      [{ 'cam.lan:5000': 'x', '10.0.0.6:1': 'cam.lan_5000' }, /collides with the id of camera cam\.lan:5000/],
    ];
    for (const [names, message] of cases) {
      assert.throws(
        () => checkCameraNames(names),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'UDPCAM_ERR_CONFIG');
          assert.match(error.message, message);
          assert.ok(!error.message.includes('\n'));
          return true;
        },
      );
      assert.throws(() => new CameraIdentity(names), { code: 'UDPCAM_ERR_CONFIG' });
    }
  });

  test('isSilent: three frame intervals, at least MIN_SILENCE_MS, at most offlineAfterMs', () => {
    assert.equal(isSilent(0, 100, MIN_SILENCE_MS, 3000), false);
    assert.equal(isSilent(0, 100, MIN_SILENCE_MS + 1, 3000), true);
    assert.equal(isSilent(0, 1000, 2999, 3000), false, '1 fps: 3 s');
    assert.equal(isSilent(0, 1000, 3001, 3000), true);
    assert.equal(isSilent(0, 2000, 3001, 3000), true, 'capped at offlineAfterMs');
    assert.equal(isSilent(0, 0, MIN_SILENCE_MS + 1, 3000), true, 'one frame only: no interval yet');
  });
});
