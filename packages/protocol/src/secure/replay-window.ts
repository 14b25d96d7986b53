/**
 * An anti-replay window over 64-bit packet counters, as SRTP (RFC 3711 §3.3.2) and IPsec
 * (RFC 4303 §3.4.3) keep: the highest counter accepted so far and a bitmap of the WINDOW counters
 * below it. A counter is fresh when it is above the highest, or inside the window and not seen;
 * anything older than the window is refused. Only authenticated datagrams may `accept`.
 */

/** Counters remembered below the highest: ~10 frames of 100 datagrams may arrive out of order. */
export const REPLAY_WINDOW = 1024;
const WORDS = REPLAY_WINDOW / 32;

export class ReplayWindow {
  /** Highest counter accepted; -1 before the first. */
  #highest = -1;
  /** Bit (n mod REPLAY_WINDOW) is set when counter n, within the window, was accepted. */
  readonly #seen = new Uint32Array(WORDS);

  /** The highest counter accepted so far (-1: none). */
  get highest(): number {
    return this.#highest;
  }

  /** True when `counter` was not accepted before and is not older than the window. */
  isFresh(counter: number): boolean {
    if (counter > this.#highest) return true;
    if (this.#highest - counter >= REPLAY_WINDOW) return false;
    const slot = counter % REPLAY_WINDOW;
    return (this.#seen[slot >>> 5]! & (1 << (slot & 31))) === 0;
  }

  /** Marks `counter` as seen (call only after `isFresh` and a good tag); slides the window forward. */
  accept(counter: number): void {
    if (counter > this.#highest) {
      if (counter - this.#highest >= REPLAY_WINDOW) {
        this.#seen.fill(0);
      } else {
        for (let n = this.#highest + 1; n < counter; n++) {
          const slot = n % REPLAY_WINDOW;
          this.#seen[slot >>> 5]! &= ~(1 << (slot & 31));
        }
      }
      this.#highest = counter;
    }
    const slot = counter % REPLAY_WINDOW;
    this.#seen[slot >>> 5]! |= 1 << (slot & 31);
  }
}
