/**
 * A small seeded generator (xorshift32) for test data that must be the same on every run: pixel
 * noise in test JPEGs and the fuzz test's datagram stream. Not for anything fast-check generates.
 */
export class Xorshift32 {
  #state: number;

  constructor(seed: number) {
    // xorshift has a fixed point at 0; any other 32-bit state works.
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#state = x;
    return x;
  }

  /** A uniform integer in min..max (both included). */
  int(min: number, max: number): number {
    return min + (this.next() % (max - min + 1));
  }

  /** True with probability `p` (0..1). */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length]!;
  }

  /** `length` uniform random bytes. */
  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/** Shuffles `items` in place (Fisher-Yates) with a generator seeded by `seed`; seed 0 keeps the order. */
export function shuffle<T>(items: T[], seed: number): T[] {
  if (seed === 0) return items;
  const random = new Xorshift32(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.next() % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
