/**
 * Which senders get a slot (issue 11, finding 4): 64 low-rate senders from one address cannot
 * lock out a camera, named cameras always get in, and a sender that keeps its slot without
 * delivering frames gives way. Time is the `now` each push carries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AssembledFrame, chunkFrame, FrameAssembler } from '@udpcam/protocol';
import { jpegPool, uniqueFrame } from '../../helpers/jpeg.js';
import { toDatagrams } from '../../helpers/wire.js';

const FRAME = uniqueFrame(jpegPool()[6]!, 1);
const DATAGRAMS = toDatagrams(chunkFrame(FRAME, 1, 200));

/** One whole frame from `sender` at `now`; the frame if it came out. */
function frameFrom(
  assembler: FrameAssembler,
  sender: string,
  now: number,
  imageId = 1,
): AssembledFrame | undefined {
  let out: AssembledFrame | undefined;
  for (const datagram of toDatagrams(chunkFrame(FRAME, imageId, 200)))
    out = assembler.push(datagram, sender, now) ?? out;
  return out;
}

test('64 low-rate senders on one address hold at most maxSendersPerAddress slots; a camera elsewhere gets in', () => {
  const assembler = new FrameAssembler({ maxSenders: 64, maxSendersPerAddress: 16, senderIdleMs: 5000 });
  // Each of 64 ports delivers a frame a second, so none is idle or unproven.
  for (let second = 0; second < 3; second++) {
    for (let port = 0; port < 64; port++)
      frameFrom(assembler, `127.0.0.1:${20_000 + port}`, second * 1000 + port, second + 1);
  }
  assert.equal(assembler.senderCount, 16);
  assert.ok(frameFrom(assembler, '10.0.0.5:5000', 3000), 'a camera on another address is admitted');
});

test('at maxSenders of busy senders, a named camera still gets a slot; others are refused', () => {
  const assembler = new FrameAssembler({
    maxSenders: 4,
    maxSendersPerAddress: 4,
    senderIdleMs: 5000,
    preferSender: (sender) => sender === '127.0.0.1:5000',
  });
  for (let port = 1; port <= 4; port++) frameFrom(assembler, `10.0.0.${port}:9000`, port);
  assert.equal(frameFrom(assembler, '10.0.0.9:9000', 10), undefined, 'an unnamed newcomer is refused');
  assert.ok(frameFrom(assembler, '127.0.0.1:5000', 11), 'the named camera is admitted');
  assert.equal(assembler.senderCount, 4);
  assert.equal(assembler.stats.sendersForgotten, 1);
  // Named cameras never give way, even to each other's newcomers.
  assert.equal(frameFrom(assembler, '10.0.0.10:9000', 12), undefined);
  assert.ok(assembler.senderStats('127.0.0.1:5000'));
});

test('a sender that sends datagrams but no frame for senderIdleMs gives way', () => {
  const assembler = new FrameAssembler({ maxSenders: 2, maxSendersPerAddress: 2, senderIdleMs: 1000 });
  frameFrom(assembler, 'a:1', 0);
  frameFrom(assembler, 'b:1', 0);
  // 'a' keeps sending a lone chunk (never a frame); 'b' keeps delivering frames.
  for (let t = 100; t <= 1500; t += 100) {
    assembler.push(DATAGRAMS[1]!, 'a:1', t);
    frameFrom(assembler, 'b:1', t, (t / 100) % 100);
  }
  assert.ok(frameFrom(assembler, 'c:1', 1500), 'the newcomer takes the slot of the sender with no frame');
  assert.equal(assembler.senderStats('a:1'), undefined);
  assert.ok(assembler.senderStats('b:1'));
});

test('maxSendersPerAddress must be a whole number', () => {
  assert.throws(() => new FrameAssembler({ maxSendersPerAddress: 1.5 }), {
    code: 'UDPCAM_ERR_INVALID_OPTION',
  });
});
