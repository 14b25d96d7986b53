/**
 * The rate limit on retransmissions: a token bucket filled by the stream itself. Every byte of
 * original datagrams sent earns `fraction` of a byte of resending, up to `capacityBytes` saved; a
 * resend spends its bytes. So over any run, bytes resent ≤ fraction × bytes sent + capacity,
 * whatever the NACKs ask, and no clock is involved (a stalled stream earns nothing).
 */

/** Default share of the stream's own bytes that may be resent: covers ~20 % loss. */
export const DEFAULT_RESEND_FRACTION = 0.25;
/** Default bucket size: one burst of ~45 datagrams of 1400 bytes. */
export const DEFAULT_RESEND_CAPACITY_BYTES = 64 * 1024;

/** A token bucket in bytes, earned by sending. */
export class ResendBudget {
  #tokens = 0;

  constructor(
    /** Bytes of resending earned per byte sent, 0..1. */
    readonly fraction = DEFAULT_RESEND_FRACTION,
    /** Most bytes saved up. */
    readonly capacityBytes = DEFAULT_RESEND_CAPACITY_BYTES,
  ) {}

  /** Bytes that may be resent now. */
  get available(): number {
    return this.#tokens;
  }

  /** Records `bytes` of original datagrams sent. */
  earn(bytes: number): void {
    this.#tokens = Math.min(this.capacityBytes, this.#tokens + bytes * this.fraction);
  }

  /** Takes `bytes` from the bucket if it holds them; false (nothing taken) otherwise. */
  spend(bytes: number): boolean {
    if (bytes > this.#tokens) return false;
    this.#tokens -= bytes;
    return true;
  }
}
