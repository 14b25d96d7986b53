/** percentile: nearest rank, always one of the values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentile, sortedAscending } from '@udpcam/common';

describe('percentile', () => {
  it('takes the ⌈q·n⌉-th smallest value', () => {
    const values = sortedAscending([50, 10, 40, 20, 30]);
    assert.deepEqual(values, [10, 20, 30, 40, 50]);
    assert.equal(percentile(values, 0), 10);
    assert.equal(percentile(values, 0.2), 10);
    assert.equal(percentile(values, 0.21), 20);
    assert.equal(percentile(values, 0.5), 30);
    assert.equal(percentile(values, 0.95), 50);
    assert.equal(percentile(values, 1), 50);
  });

  it('sorts numbers as numbers and reads typed arrays', () => {
    assert.deepEqual(sortedAscending([100, 9, 1000]), [9, 100, 1000]);
    assert.equal(percentile(new Float64Array([1, 2, 3, 4]), 0.5), 2);
  });
});
