/** Cameras: every sender (address:port) is one; its id is safe as a folder name and in a URL. */

/** The sender key the receiver uses: "address:port", IPv6 as "[address]:port". */
export function senderKey(address: string, port: number, family: string): string {
  return family === 'IPv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A camera id made from a sender key: letters, digits, '.', '-' and '_' only. */
export function cameraId(sender: string): string {
  return sender.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '');
}
