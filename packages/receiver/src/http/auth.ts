/**
 * HTTP auth: Basic (user:pass) and/or a bearer token (header, `?token=` for tools, or the
 * session cookie the page gets in exchange for `?token=`, so the token leaves the page's URLs).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What the server accepts; empty means no auth. */
export interface AuthOptions {
  /** "user:password" for HTTP Basic. */
  basic?: string;
  /** A bearer token: `Authorization: Bearer <token>`, `?token=<token>` or the session cookie. */
  token?: string;
}

/** Name of the cookie that stands for the token (HttpOnly, SameSite=Strict). */
export const AUTH_COOKIE = 'udpcam_session';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function same(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The cookie value for `token`: derived from it, so a leaked cookie does not reveal the token. */
export function sessionCookieValue(token: string): string {
  return createHash('sha256').update(`udpcam session\0${token}`).digest('base64url');
}

/** The `Set-Cookie` header that lets a browser in with `token` from now on. */
export function sessionCookie(token: string): string {
  return `${AUTH_COOKIE}=${sessionCookieValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The value of cookie `name` in the request, if any. */
function cookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** True when the request's `?token=` is the token (the server then swaps it for a cookie). */
export function hasQueryToken(url: URL, auth: AuthOptions): boolean {
  const query = url.searchParams.get('token');
  return auth.token !== undefined && query !== null && same(query, auth.token);
}

/** True when the request carries some credential (a wrong one counts as a failed login). */
export function offersCredentials(request: IncomingMessage, url: URL): boolean {
  return (
    request.headers.authorization !== undefined ||
    url.searchParams.has('token') ||
    cookie(request, AUTH_COOKIE) !== undefined
  );
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
    if (hasQueryToken(url, auth)) return true;
    const session = cookie(request, AUTH_COOKIE);
    if (session !== undefined && same(session, sessionCookieValue(auth.token))) return true;
  }
  return false;
}
