/** Cameras: every sender (address:port) is one; its id is safe as a folder name and in a URL. */

/** The sender key the receiver uses: "address:port", IPv6 as "[address]:port". */
export function senderKey(address: string, port: number, family: string): string {
  return family === 'IPv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * A camera id made from a sender key, safe as a folder name and in a URL (letters, digits, '.',
 * '-', '_'): "10.0.0.5:5000" → "10.0.0.5_5000", "[fe80::1]:5000" → "ip6_fe80--1_5000".
 */
export function cameraId(sender: string): string {
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(sender);
  if (v6) return `ip6_${v6[1]!.replace(/:/g, '-')}_${v6[2]}`;
  return sender.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '');
}

/**
 * Why `name` cannot name a camera, or undefined when it can. A name becomes a folder under --out
 * and a URL segment: dot-only names (`.`, `..`) would leave --out (issue 11, finding 2), and a
 * name shaped like an automatic id (`10.0.0.5_5000`, `ip6_…`) could be another sender's folder
 * and ring (finding 14).
 */
export function cameraNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) return 'use 1 to 64 letters, digits, . _ -';
  if (/^\.+$/.test(name)) return 'a name of dots only would leave the output folder';
  if (/^(\d{1,3}\.){3}\d{1,3}_\d{1,5}$/.test(name) || /^ip6_/.test(name)) {
    return "it looks like another sender's automatic id (ADDRESS_PORT)";
  }
  return undefined;
}
