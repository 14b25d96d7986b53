/**
 * A real browser for page tests: Debian's Chromium driven by playwright-core (which never
 * downloads a browser of its own), plus polling helpers that need no DOM types on the Node side.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Locator } from 'playwright-core';

/** The Chromium binary; UDPCAM_CHROMIUM overrides it. */
export const CHROMIUM = process.env.UDPCAM_CHROMIUM ?? '/usr/bin/chromium';

/** Why page tests cannot run here (a `skip` reason), or false when they can. */
export const CHROMIUM_MISSING: string | false = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (install Debian's chromium, or set UDPCAM_CHROMIUM)`;

/** Starts headless Chromium with nothing running in the background that could reach the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Polls `check` every `intervalMs` until it returns something other than false, null or
 * undefined, and resolves with that; throws after `timeoutMs`, naming `what` and the last value seen.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | false | null | undefined>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== null && value !== undefined) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (performance.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** An <img>'s decoded width in pixels (0 until a picture has been decoded). */
export function naturalWidth(image: Locator): Promise<number> {
  return image.evaluate((element: { naturalWidth: number }) => element.naturalWidth);
}

/** A number shown in an element, e.g. "9.7" → 9.7, "1,234" → 1234; NaN when there is none. */
export async function shownNumber(element: Locator): Promise<number> {
  const text = (await element.textContent()) ?? '';
  return Number.parseFloat(text.replace(/,/g, ''));
}
