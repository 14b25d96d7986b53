/**
 * Which camera a frame belongs to (docs/protocol.md#identity). A sender is an address and an
 * ephemeral source port, and a restart brings a new port; a camera should outlive that:
 * - a frame that carries a name in its metadata (`udpcam send --name door`) belongs to the camera
 *   of that name from that address, whatever its port;
 * - otherwise (the original sender, `--no-meta`, `--legacy`) a configured name matches the
 *   sender's ADDRESS:PORT or its ADDRESS alone; and a new port from an address whose camera has
 *   gone silent (isSilent) continues that camera, while two ports sending at once stay two cameras.
 * Pure bookkeeping, on the receiver's clock (the `now` of each frame).
 */
import { checkCameraName, UdpcamError } from '@udpcam/protocol';
import { cameraId, cameraNameProblem } from './camera.js';

interface Holder {
  /** The sender key ("address:port") sending as this camera now. */
  sender: string;
  address: string;
  /** The name carried in the metadata, if this camera is keyed by it. */
  wireName: string | undefined;
  /** `now` of its last frame, and its frame interval (ms, smoothed; 0 until a second frame). */
  lastAt: number;
  intervalMs: number;
}

/** A camera that sent no frame for this long (ms), at least, may have restarted. */
export const MIN_SILENCE_MS = 1000;

/**
 * Whether a camera has gone silent at `nowMs` (ms): no frame since `lastFrameAt` for three frame
 * intervals (`intervalMs`, smoothed; 0 if unknown), at least MIN_SILENCE_MS, at most `offlineAfterMs`.
 * A sender restarting takes longer; two senders sending at once never leave each other that long.
 */
export function isSilent(
  lastFrameAt: number,
  intervalMs: number,
  nowMs: number,
  offlineAfterMs: number,
): boolean {
  return nowMs - lastFrameAt > Math.min(offlineAfterMs, Math.max(MIN_SILENCE_MS, 3 * intervalMs));
}

/** "10.0.0.5:5000" → "10.0.0.5"; "[fe80::1]:5000" → "[fe80::1]". */
export function senderAddress(sender: string): string {
  const colon = sender.lastIndexOf(':');
  return colon < 0 ? sender : sender.slice(0, colon);
}

/**
 * Checks configured names (--name, cameras.json): keys "ADDRESS:PORT" or "ADDRESS", names valid
 * and unique, and none equal to the id another configured sender would get unnamed. Throws a
 * one-line UDPCAM_ERR_CONFIG.
 */
export function checkCameraNames(names: Readonly<Record<string, string>>): void {
  const fail = (message: string): never => {
    throw new UdpcamError('UDPCAM_ERR_CONFIG', message);
  };
  const owner = new Map<string, string>();
  for (const [sender, name] of Object.entries(names)) {
    try {
      checkCameraName(name, `the name for ${sender}:`);
    } catch (error) {
      fail((error as Error).message);
    }
    const problem = cameraNameProblem(name);
    if (problem !== undefined) fail(`camera name "${name}" for ${sender}: ${problem}`);
    const other = owner.get(name);
    if (other !== undefined) fail(`camera name "${name}" is given to both ${other} and ${sender}`);
    owner.set(name, sender);
  }
  for (const sender of Object.keys(names)) {
    const id = cameraId(sender);
    const other = owner.get(id);
    if (other !== undefined && other !== sender) {
      fail(`camera name "${id}" for ${other} collides with the id of camera ${sender}`);
    }
  }
}

/** Maps sender keys to cameras; see the file comment. */
export class CameraIdentity {
  readonly #names: Readonly<Record<string, string>>;
  readonly #offlineAfterMs: number;
  /** Camera id → who sends as it. */
  readonly #holders = new Map<string, Holder>();
  /** Sender key (+ "\0" + wire name) → camera id: the per-frame fast path. */
  readonly #bySender = new Map<string, string>();

  /** `offlineAfterMs`: the receiver's; a camera silent this long is silent whatever its rate. */
  constructor(names: Readonly<Record<string, string>> = {}, offlineAfterMs = 3000) {
    checkCameraNames(names);
    this.#names = names;
    this.#offlineAfterMs = offlineAfterMs;
  }

  /** The camera (its id, named or not) of a frame from `sender` carrying `carried`, done at `nowMs`. */
  resolve(sender: string, carried: string | undefined, nowMs: number): { id: string; named: boolean } {
    // A carried name shaped like an automatic id could pass for another sender: taken as none.
    const wireName = carried !== undefined && cameraNameProblem(carried) === undefined ? carried : undefined;
    const cacheKey = wireName === undefined ? sender : `${sender}\0${wireName}`;
    const cached = this.#bySender.get(cacheKey);
    const holding = cached === undefined ? undefined : this.#holders.get(cached);
    if (holding !== undefined && holding.sender === sender) {
      this.#tick(holding, nowMs);
      return { id: cached!, named: this.#isNamed(cached!, wireName) };
    }
    const goneSilent = (id: string) => {
      const holder = this.#holders.get(id);
      return holder === undefined || isSilent(holder.lastAt, holder.intervalMs, nowMs, this.#offlineAfterMs);
    };
    const address = senderAddress(sender);
    let id: string | undefined;
    if (wireName !== undefined) {
      // The camera of that name from this address, whatever port it sends from now.
      id = this.#find((holder) => holder.wireName === wireName && holder.address === address);
      id ??= this.#freeId(wireName, sender, address);
    } else {
      const configured = this.#names[sender] ?? this.#names[address];
      // The camera configured for it unless another live sender holds it, else a silent one of this
      // address (goneSilent is also true of a camera nobody holds).
      const owner = configured === undefined ? undefined : this.#holders.get(configured);
      if (configured !== undefined && (owner?.sender === sender || goneSilent(configured))) id = configured;
      id ??= this.#find(
        (holder, candidate) =>
          holder.wireName === undefined && holder.address === address && goneSilent(candidate),
      );
      id ??= this.#freeId(cameraId(sender), sender, address);
    }
    const previous = this.#holders.get(id);
    if (previous !== undefined && previous.sender !== sender) this.#bySender.delete(previous.sender);
    // A camera taken over keeps its frame interval; the gap of the restart is not one.
    this.#holders.set(id, {
      sender,
      address,
      wireName,
      lastAt: nowMs,
      intervalMs: previous?.intervalMs ?? 0,
    });
    if (this.#bySender.size >= 4096) this.#bySender.clear(); // spoofed ports cannot grow it
    this.#bySender.set(cacheKey, id);
    return { id, named: this.#isNamed(id, wireName) };
  }

  /** The sender key camera `id` receives from now, if any. */
  senderOf(id: string): string | undefined {
    return this.#holders.get(id)?.sender;
  }

  /** Forgets camera `id` (the receiver forgot it). */
  forget(id: string): void {
    const holder = this.#holders.get(id);
    if (holder === undefined) return;
    this.#holders.delete(id);
    for (const [key, value] of this.#bySender) if (value === id) this.#bySender.delete(key);
  }

  /** A frame of `holder`'s camera at `nowMs`: its smoothed frame interval, its last frame. */
  #tick(holder: Holder, nowMs: number): void {
    const interval = nowMs - holder.lastAt;
    holder.intervalMs = holder.intervalMs === 0 ? interval : 0.8 * holder.intervalMs + 0.2 * interval;
    holder.lastAt = nowMs;
  }

  #isNamed(id: string, wireName: string | undefined): boolean {
    return wireName !== undefined || Object.values(this.#names).includes(id);
  }

  #find(match: (holder: Holder, id: string) => boolean): string | undefined {
    for (const [id, holder] of this.#holders) if (match(holder, id)) return id;
    return undefined;
  }

  /** Whether `id` is some camera's, or configured for a sender other than this one. */
  #taken(id: string, sender: string, address: string): boolean {
    if (this.#holders.has(id)) return true;
    return Object.entries(this.#names).some(
      ([key, name]) => name === id && key !== sender && key !== address,
    );
  }

  /** `wanted` if free, else made unique with the address (then a counter). */
  #freeId(wanted: string, sender: string, address: string): string {
    if (!this.#taken(wanted, sender, address)) return wanted;
    const withAddress = `${wanted}_${cameraId(address)}`;
    if (!this.#taken(withAddress, sender, address)) return withAddress;
    for (let n = 2; ; n++) {
      if (!this.#taken(`${withAddress}_${n}`, sender, address)) return `${withAddress}_${n}`;
    }
  }
}
