/** HTTP auth: Basic (user:pass) and/or a bearer token (header, or ?token= for <img> tags). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What the server accepts; empty means no auth. */
export interface AuthOptions {
  /** "user:password" for HTTP Basic. */
  basic?: string;
  /** A bearer token: `Authorization: Bearer <token>` or `?token=<token>`. */
  token?: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function same(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when auth is off or the request carries an accepted credential. */
export function isAuthorized(request: IncomingMessage, url: URL, auth: AuthOptions): boolean {
  if (auth.basic === undefined && auth.token === undefined) return true;
  const header = request.headers.authorization ?? '';
  const [scheme = '', value = ''] = header.split(' ', 2);
  if (auth.basic !== undefined && scheme.toLowerCase() === 'basic') {
    if (same(Buffer.from(value, 'base64').toString('utf8'), auth.basic)) return true;
  }
  if (auth.token !== undefined) {
    if (scheme.toLowerCase() === 'bearer' && same(value, auth.token)) return true;
    const query = url.searchParams.get('token');
    if (query !== null && same(query, auth.token)) return true;
  }
  return false;
}
