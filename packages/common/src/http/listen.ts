/** A udpcam web server's life (the receiver's, the area tool's): listen, its base URL, close. */
import { once } from 'node:events';
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { addressError } from '../errno.js';

/** Listens on `host`:`port`; throws UDPCAM_ERR_ADDRESS_IN_USE or UDPCAM_ERR_ADDRESS_NOT_AVAILABLE. */
export async function listenHttp(
  server: http.Server | https.Server,
  port: number,
  host: string,
): Promise<void> {
  server.listen(port, host);
  await once(server, 'listening').catch((error: unknown) => {
    throw addressError(error, `HTTP ${host}:${port}`);
  });
}

/** The listening server's base URL, e.g. http://127.0.0.1:8080/ or https://[::1]:8443/. */
export function serverUrl(server: http.Server | https.Server, tls: boolean): string {
  const { address, port, family } = server.address() as AddressInfo;
  return `${tls ? 'https' : 'http'}://${family === 'IPv6' ? `[${address}]` : address}:${port}/`;
}

/** Stops listening and drops open connections; resolves once the server is closed. */
export function closeHttp(server: http.Server | https.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
