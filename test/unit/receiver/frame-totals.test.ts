/** FrameTotals (issue 11, finding 17): rates from these totals never go negative when senders are forgotten. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkFrame, FrameAssembler } from '@udpcam/protocol';
import { FrameTotals } from '@udpcam/receiver';
import { jpegPool, uniqueFrame } from '../../helpers/jpeg.js';
import { toDatagrams } from '../../helpers/wire.js';

const FRAME = uniqueFrame(jpegPool()[6]!, 1);

function frameFrom(assembler: FrameAssembler, sender: string, now: number, imageId: number): void {
  for (const datagram of toDatagrams(chunkFrame(FRAME, imageId, 200))) assembler.push(datagram, sender, now);
}

test('forgotten senders keep their frames in the totals; a sender heard again counts from zero', () => {
  const assembler = new FrameAssembler({ maxSenders: 2, maxSendersPerAddress: 2, senderIdleMs: 1000 });
  const totals = new FrameTotals();
  for (let i = 1; i <= 3; i++) frameFrom(assembler, 'a:1', i, i);
  frameFrom(assembler, 'b:1', 4, 1);
  assert.deepEqual([totals.sample(assembler).frames, totals.frameBytes], [4, 4 * FRAME.length]);
  // 'a' goes quiet and is forgotten to make room for 'c': the plain sum drops from 4 to 2.
  frameFrom(assembler, 'c:1', 2000, 1);
  assert.equal(assembler.senderStats('a:1'), undefined);
  let sum = 0;
  for (const [, stats] of assembler.senders()) sum += stats.framesComplete;
  assert.equal(sum, 2, 'what the status line used to subtract from');
  const before = totals.frames;
  assert.equal(totals.sample(assembler).frames - before, 1, 'one new frame, not -2');
  // 'a' comes back (forgetting 'b'): its count restarts at 1 and is added, not compared with 3.
  frameFrom(assembler, 'a:1', 4000, 50);
  assert.equal(totals.sample(assembler).frames, 6);
  assert.equal(totals.frameBytes, 6 * FRAME.length);
});
