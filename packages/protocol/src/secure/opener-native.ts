/**
 * DatagramOpener's checks run in C (@udpcam/udp-native's opener.c), for a receiver on Node's
 * OpenSSL: the batched receiver then opens each datagram as recvmmsg delivers it, with no
 * per-datagram call into the addon and no views made in JavaScript. Same results, codes and
 * counts as DatagramOpener (the tests run both on the same datagrams).
 */
import { type NativeOpener, nativeOpener } from '@udpcam/udp-native';
import { preferredAead } from './aead.js';
import type { StreamKey } from './key.js';
import { SECURE_CLEAR_BYTES, SECURE_TAG_BYTES } from './layout.js';
import {
  DatagramOpener,
  type Opener,
  type OpenerOptions,
  type OpenerStats,
  openerOptions,
  REJECT_REASONS,
  type RejectReason,
} from './opener.js';
import { SESSION_KEY_INFO } from './session-key.js';

export class NativeDatagramOpener implements Opener {
  readonly keys: readonly StreamKey[];
  readonly options: OpenerOptions;
  readonly backend = preferredAead();
  /** What receiveBatches takes to open datagrams as they arrive. */
  readonly native: NativeOpener;

  constructor(keys: readonly StreamKey[], options: OpenerOptions, native: NativeOpener) {
    this.keys = keys;
    this.options = options;
    this.native = native;
  }

  open(datagram: Buffer): Buffer | number {
    const code = this.native.open(datagram);
    return code < 0 ? code : datagram.subarray(SECURE_CLEAR_BYTES - 5, datagram.length - SECURE_TAG_BYTES);
  }

  get stats(): OpenerStats {
    const counts = this.native.counts();
    const rejectedByReason = {} as Record<RejectReason, number>;
    REJECT_REASONS.slice(1).forEach((reason, i) => {
      rejectedByReason[reason as RejectReason] = counts.byReason[i]!;
    });
    return {
      opened: counts.opened,
      rejected: counts.rejected,
      rejectedByReason,
      sessions: counts.sessions,
      sessionsEvicted: counts.sessionsEvicted,
    };
  }

  get sessionCount(): number {
    return this.native.counts().sessionsHeld;
  }
}

/**
 * The opener for a receiver: in C where the preferred AEAD is OpenSSL's and no other backend is
 * asked for (options.aead), else DatagramOpener.
 */
export function createOpener(keys: readonly StreamKey[], options: Partial<OpenerOptions> = {}): Opener {
  const full = openerOptions(keys, options);
  if (full.aead !== undefined || preferredAead().name !== 'openssl') return new DatagramOpener(keys, full);
  const secrets = keys.map((key) => ({ key: key.key.export(), id: key.id }));
  try {
    const native = nativeOpener(secrets, SESSION_KEY_INFO, full.maxSessions);
    return native === undefined
      ? new DatagramOpener(keys, full)
      : new NativeDatagramOpener(keys, full, native);
  } finally {
    for (const { key } of secrets) key.fill(0);
  }
}
