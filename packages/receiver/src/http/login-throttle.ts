/**
 * A per-address slowdown after failed logins, and rate-limited reports of them (issue 11,
 * finding 10): 5,000 wrong passwords a second must not be free, nor fill the log.
 */
import { Backoff } from '@udpcam/common';

/** Options of LoginThrottle (ms). */
export interface LoginThrottleOptions {
  /** Failures an address may make before it is slowed down. */
  freeFailures: number;
  /** Block after the first failure beyond the free ones; doubles with each further one (ms). */
  baseDelayMs: number;
  /** Longest block (ms). */
  maxDelayMs: number;
  /** An address with no failure for this long starts again from zero (ms). */
  forgetAfterMs: number;
  /** Addresses tracked at once; the oldest is dropped beyond this (memory bound). */
  maxAddresses: number;
  /** At most one report line per this many ms. */
  reportEveryMs: number;
  /** The clock (ms, monotonic). */
  now: () => number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  freeFailures: 10,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  maxAddresses: 10_000,
  reportEveryMs: 10_000,
  now: () => performance.now(),
};

interface AddressState {
  failures: number;
  lastFailureMs: number;
  blockedUntilMs: number;
}

/** Counts failed logins per address and says how long an address must wait. */
export class LoginThrottle {
  readonly #options: LoginThrottleOptions;
  readonly #addresses = new Map<string, AddressState>();
  #lastReportMs = Number.NEGATIVE_INFINITY;
  #unreported = 0;
  #unreportedFrom = new Set<string>();

  readonly #backoff: Backoff;

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.#options = { ...DEFAULT_LOGIN_THROTTLE, ...options };
    this.#backoff = new Backoff(this.#options.baseDelayMs, this.#options.maxDelayMs);
  }

  /** How long `address` must still wait before its credentials are checked again (ms; 0: now). */
  waitMs(address: string): number {
    const state = this.#current(address);
    return state === undefined ? 0 : Math.max(0, state.blockedUntilMs - this.#options.now());
  }

  /**
   * Records a failed login from `address`. Returns a line to log when one is due (at most one per
   * `reportEveryMs`, summing the failures since the last), else undefined.
   */
  failed(address: string): string | undefined {
    const now = this.#options.now();
    const state = this.#current(address) ?? { failures: 0, lastFailureMs: now, blockedUntilMs: 0 };
    state.failures++;
    state.lastFailureMs = now;
    const beyond = state.failures - this.#options.freeFailures;
    if (beyond > 0) state.blockedUntilMs = now + this.#backoff.delayAfter(beyond);
    // Re-inserted last, so the Map's first entry is the longest quiet one.
    this.#addresses.delete(address);
    this.#addresses.set(address, state);
    if (this.#addresses.size > this.#options.maxAddresses) {
      this.#addresses.delete(this.#addresses.keys().next().value!);
    }
    this.#unreported++;
    this.#unreportedFrom.add(address);
    if (now - this.#lastReportMs < this.#options.reportEveryMs) return undefined;
    const line = `${this.#unreported} failed HTTP login${this.#unreported === 1 ? '' : 's'} from ${this.#unreportedFrom.size === 1 ? address : `${this.#unreportedFrom.size} addresses (last ${address})`}${beyond > 0 ? `; ${address} is slowed down` : ''}`;
    this.#lastReportMs = now;
    this.#unreported = 0;
    this.#unreportedFrom.clear();
    return line;
  }

  /** A successful login clears the address's count. */
  succeeded(address: string): void {
    this.#addresses.delete(address);
  }

  #current(address: string): AddressState | undefined {
    const state = this.#addresses.get(address);
    if (state !== undefined && this.#options.now() - state.lastFailureMs > this.#options.forgetAfterMs) {
      this.#addresses.delete(address);
      return undefined;
    }
    return state;
  }
}
