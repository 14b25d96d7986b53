/** Small HTTP client helpers for the receiver's HTTP tests: one connection per request, no agent. */
import http, { type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CliProcess, PATIENT_REASSEMBLY, startCli } from './cli.js';

/** A whole response. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON (throws if it is not JSON). */
  json<T = unknown>(): T;
}

/** Sends a request and reads the whole response; rejects after `timeoutMs`. */
export function request(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    timeoutMs?: number;
    signal?: AbortSignal;
  } = {},
): Promise<HttpResponse> {
  const { method = 'GET', headers = {}, timeoutMs = 10_000, signal } = options;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body,
          json: <T>() => JSON.parse(body.toString('utf8')) as T,
        });
      });
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

/** GETs a JSON document, asserting nothing; throws when the status is not 200. */
export async function getJson<T = unknown>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await request(url, { headers });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${response.body.toString()}`);
  return response.json<T>();
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined; throws after `timeoutMs` (a guard against hangs only). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A Basic Authorization header value. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** `udpcam receive --port 0 --bind 127.0.0.1 --http 0 ...args`, once both sockets listen. */
export async function startHttpReceiver(
  args: string[] = [],
): Promise<{ cli: CliProcess; udpPort: number; base: string }> {
  const cli = startCli([
    'receive',
    '--port',
    '0',
    '--bind',
    '127.0.0.1',
    '--http',
    '0',
    '--status-interval',
    '3600',
    ...PATIENT_REASSEMBLY,
    ...args,
  ]);
  try {
    const udp = await cli.waitFor(/receiving on udp .*:(\d+)/);
    const page = await cli.waitFor(/live page (https?:\/\/\S+)/);
    return { cli, udpPort: Number(udp[1]), base: page[1]! };
  } catch (error) {
    await cli.stop('SIGKILL');
    throw error;
  }
}
