/**
 * Incremental parser for `multipart/x-mixed-replace` (MJPEG over HTTP): bytes in, whole parts
 * out, with no I/O and no timers, so tests can split a stream at every byte.
 *
 *   --BOUNDARY\r\n                      delimiter line
 *   Content-Type: image/jpeg\r\n        part headers (any; Content-Length optional)
 *   Content-Length: 12345\r\n
 *   \r\n
 *   <12345 bytes of JPEG>\r\n           body; without Content-Length it ends at the next
 *   --BOUNDARY\r\n                      delimiter line
 *
 * What real cameras send varies, so the parser accepts: LF as well as CRLF; a boundary declared
 * with or without quotes and with or without its own leading "--" (any run of dashes before the
 * boundary token marks a delimiter line); "--BOUNDARY--" closers; no boundary at all (it is learnt
 * from the first line that starts with "--"); a Content-Length that is missing. A part larger
 * than `maxPartBytes` is dropped and the parser resyncs on the next delimiter line, so memory
 * stays bounded by that limit plus one chunk.
 */

/** One part of the stream: its headers (names lower-cased) and its body (a copy the caller owns). */
export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

export interface MultipartParserOptions {
  /** Largest part body kept, in bytes; default 16 MiB. Larger parts are dropped. */
  maxPartBytes?: number;
  /**
   * False to skip bodies with a Content-Length instead of buffering them (their parts come out
   * with an empty body): a client that only counts parts copies nothing. Default true.
   */
  keepBodies?: boolean;
}

export const DEFAULT_MAX_PART_BYTES = 16 * 1024 * 1024;
/** Largest part header block, in bytes. */
const MAX_HEADER_BYTES = 16 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

/** The boundary parameter of a multipart Content-Type, unquoted, or undefined when absent. */
export function boundaryFromContentType(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary === undefined || boundary === '' ? undefined : boundary;
}

/** The boundary with its leading dashes removed: what a delimiter line must contain. */
function boundaryToken(boundary: string): string {
  const token = boundary.replace(/^-+/, '');
  return token === '' ? boundary : token;
}

/** True for a delimiter line that closes the stream ("--BOUNDARY--"): no part follows it. */
function isCloser(line: Buffer): boolean {
  return /--[ \t]*$/.test(line.toString('latin1'));
}

type State =
  /** Looking for a delimiter line; everything else is skipped line by line. */
  | 'preamble'
  /** Reading part header lines up to the empty line. */
  | 'headers'
  /** Reading a body: `#bodyLength` bytes, or up to the next delimiter line when unknown. */
  | 'body';

export class MultipartParser {
  readonly maxPartBytes: number;
  readonly keepBodies: boolean;
  /** Body bytes still to skip without buffering (keepBodies false). */
  #discard = 0;
  #token: Buffer | undefined;
  /** Grow-only buffer of pending bytes: `#buf[0 .. #len)`. */
  #buf = Buffer.alloc(64 * 1024);
  #len = 0;
  #state: State = 'preamble';
  /** In the preamble: true while inside a line too long to be a delimiter. */
  #junkLine = false;
  #headers: Record<string, string> = {};
  #headerBytes = 0;
  #bodyLength: number | undefined;
  /** In a body of unknown length: where to resume the delimiter search. */
  #scanFrom = 0;
  #dropped = 0;
  #skipped = 0;

  /** `boundary` as declared in the Content-Type; undefined to learn it from the stream. */
  constructor(boundary?: string, options: MultipartParserOptions = {}) {
    this.#token = boundary === undefined ? undefined : Buffer.from(boundaryToken(boundary), 'latin1');
    this.maxPartBytes = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
    this.keepBodies = options.keepBodies ?? true;
  }

  /** Parts dropped for being larger than the limits. */
  get droppedParts(): number {
    return this.#dropped;
  }

  /**
   * Bytes skipped outside parts: lines that are neither delimiters nor blank, and parts given up
   * on. 0 for a stream that follows the format to the letter.
   */
  get skippedBytes(): number {
    return this.#skipped;
  }

  /** True between a delimiter line and the end of its part's body. */
  get inPart(): boolean {
    return this.#state !== 'preamble';
  }

  /** Bytes held while waiting for the rest of a part. */
  get pendingBytes(): number {
    return this.#len;
  }

  /** Feeds the next bytes of the stream; returns the parts they complete, in order. */
  feed(chunk: Uint8Array): MultipartPart[] {
    const parts: MultipartPart[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#discard > 0) {
        const skip = Math.min(this.#discard, chunk.length - offset);
        this.#discard -= skip;
        offset += skip;
        if (this.#discard === 0) this.#endBody(parts, 0);
        continue;
      }
      // Take at most what the current state could still need, so the buffer stays bounded.
      const room = Math.max(4096, this.#limit() - this.#len + 1);
      const take = Math.min(chunk.length - offset, room);
      this.#append(chunk.subarray(offset, offset + take));
      offset += take;
      this.#process(parts);
    }
    return parts;
  }

  /** Buffer limit of the current state. */
  #limit(): number {
    if (this.#state === 'body') {
      if (this.#bodyLength !== undefined && !this.keepBodies) return 0; // skipped, not buffered
      return this.#bodyLength ?? this.maxPartBytes + this.#maxLine();
    }
    if (this.#state === 'headers') return MAX_HEADER_BYTES;
    return this.#maxLine();
  }

  /** Longest line that can still be a delimiter line. */
  #maxLine(): number {
    return (this.#token?.length ?? 200) + 80;
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#len + bytes.length;
    if (needed > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buf.length * 2));
      this.#buf.copy(grown, 0, 0, this.#len);
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#len);
    this.#len = needed;
  }

  #consume(count: number): void {
    this.#buf.copyWithin(0, count, this.#len);
    this.#len -= count;
  }

  #process(parts: MultipartPart[]): void {
    for (;;) {
      const progressed =
        this.#state === 'preamble'
          ? this.#preamble()
          : this.#state === 'headers'
            ? this.#readHeaders()
            : this.#body(parts);
      if (!progressed) return;
    }
  }

  /** One line of the buffer, from 0 to the first LF, without CR; undefined when incomplete. */
  #line(): { text: Buffer; next: number } | undefined {
    const lf = this.#buf.subarray(0, this.#len).indexOf(LF);
    if (lf < 0) return undefined;
    const end = lf > 0 && this.#buf[lf - 1] === CR ? lf - 1 : lf;
    return { text: this.#buf.subarray(0, end), next: lf + 1 };
  }

  /** True when `line` is dashes + boundary token (+ optional "--" and blanks). */
  #isDelimiter(line: Buffer): boolean {
    if (this.#token === undefined) {
      // Learn the boundary from the first "--something" line.
      if (line.length < 3 || line[0] !== DASH || line[1] !== DASH || line.length > 200) return false;
      const token = boundaryToken(line.toString('latin1').trim().replace(/--$/, ''));
      if (token === '' || /\s/.test(token)) return false;
      this.#token = Buffer.from(token, 'latin1');
      return true;
    }
    let at = 0;
    while (at < line.length && line[at] === DASH) at++;
    if (!line.subarray(at, at + this.#token.length).equals(this.#token)) return false;
    const rest = line.subarray(at + this.#token.length).toString('latin1');
    return /^(--)?[ \t]*$/.test(rest);
  }

  #preamble(): boolean {
    const line = this.#line();
    if (line === undefined) {
      if (this.#len > this.#maxLine()) {
        this.#junkLine = true;
        this.#skipped += this.#len;
        this.#len = 0;
      }
      return false;
    }
    const delimiter = !this.#junkLine && this.#isDelimiter(line.text);
    if (!delimiter && (this.#junkLine || line.text.length > 0)) this.#skipped += line.next;
    this.#junkLine = false;
    this.#consume(line.next);
    if (delimiter && !isCloser(line.text)) this.#startPart();
    return true;
  }

  #startPart(): void {
    this.#state = 'headers';
    this.#headers = {};
    this.#headerBytes = 0;
  }

  #readHeaders(): boolean {
    const line = this.#line();
    if (line === undefined) {
      if (this.#headerBytes + this.#len > MAX_HEADER_BYTES) this.#resync();
      return false;
    }
    this.#headerBytes += line.next;
    if (this.#headerBytes > MAX_HEADER_BYTES) {
      this.#resync();
      return true;
    }
    const text = line.text.toString('latin1');
    if (text.trim() === '') {
      if (Object.keys(this.#headers).length === 0) {
        // A blank line straight after the delimiter: either a part with no headers (the body
        // follows) or a stray blank line before the headers. A JPEG body starts with 0xFF.
        if (this.#len === line.next) {
          this.#headerBytes -= line.next;
          return false;
        }
        if (this.#buf[line.next] !== 0xff) {
          this.#consume(line.next);
          return true;
        }
      }
      this.#consume(line.next);
      const length = this.#headers['content-length'];
      const parsed = length !== undefined && /^\s*\d+\s*$/.test(length) ? Number(length) : undefined;
      this.#state = 'body';
      this.#scanFrom = 0;
      this.#bodyLength = parsed;
      if (parsed !== undefined && parsed > this.maxPartBytes) {
        this.#dropped++;
        this.#resync();
      }
      return true;
    }
    this.#consume(line.next);
    if (this.#isDelimiter(line.text)) {
      if (isCloser(line.text)) this.#state = 'preamble';
      else this.#startPart(); // an empty part
      return true;
    }
    const colon = text.indexOf(':');
    if (colon > 0) this.#headers[text.slice(0, colon).trim().toLowerCase()] = text.slice(colon + 1).trim();
    return true;
  }

  #body(parts: MultipartPart[]): boolean {
    if (this.#bodyLength !== undefined) {
      if (this.#len < this.#bodyLength) {
        if (this.keepBodies) return false;
        this.#discard = this.#bodyLength - this.#len;
        this.#len = 0;
        return false;
      }
      this.#endBody(parts, this.#bodyLength);
      return true;
    }
    const token = this.#token!;
    const buf = this.#buf.subarray(0, this.#len);
    let at = this.#scanFrom;
    for (;;) {
      const found = buf.indexOf(token, at);
      if (found < 0) break;
      let start = found;
      while (start > 0 && buf[start - 1] === DASH) start--;
      const lineStart = start === 0 || buf[start - 1] === LF;
      const after = found + token.length;
      if (lineStart) {
        const lf = buf.indexOf(LF, after);
        if (lf < 0 && this.#len - start <= this.#maxLine()) {
          // Cannot tell yet whether this is a delimiter line: wait here.
          this.#scanFrom = found;
          return this.#checkBodyLimit();
        }
        let lineEnd = lf < 0 ? this.#len : lf;
        if (lineEnd > after && buf[lineEnd - 1] === CR) lineEnd--;
        if (this.#isDelimiter(buf.subarray(start, lineEnd))) {
          let end = start > 0 ? start - 1 : 0;
          if (end > 0 && buf[end - 1] === CR) end--;
          parts.push({ headers: this.#headers, body: Buffer.from(buf.subarray(0, end)) });
          this.#consume(start);
          this.#state = 'preamble';
          this.#junkLine = false;
          return true;
        }
      }
      at = found + 1;
    }
    this.#scanFrom = Math.max(0, this.#len - token.length);
    return this.#checkBodyLimit();
  }

  /** Emits the part whose body is the first `length` bytes held (empty when skipped). */
  #endBody(parts: MultipartPart[], length: number): void {
    const body = this.keepBodies ? Buffer.from(this.#buf.subarray(0, length)) : Buffer.alloc(0);
    parts.push({ headers: this.#headers, body });
    this.#consume(length);
    // What follows (CRLF, then the delimiter line) is skipped by the preamble.
    this.#state = 'preamble';
    this.#junkLine = false;
  }

  /** Drops a body of unknown length that grew past the limit. */
  #checkBodyLimit(): boolean {
    if (this.#len <= this.maxPartBytes + this.#maxLine()) return false;
    this.#dropped++;
    this.#resync();
    return true;
  }

  /** Gives up on the current part: keeps only a tail that may hold the next delimiter line. */
  #resync(): void {
    this.#state = 'preamble';
    this.#bodyLength = undefined;
    const from = Math.max(0, this.#len - this.#maxLine());
    const lf = this.#buf.subarray(from, this.#len).lastIndexOf(LF);
    this.#skipped += lf >= 0 ? from + lf + 1 : this.#len;
    if (lf >= 0) {
      this.#consume(from + lf + 1);
      this.#junkLine = false;
    } else {
      this.#len = 0;
      this.#junkLine = true;
    }
  }
}
