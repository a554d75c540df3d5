import { nestedDeeperThan, responseId, toRpcMessage, type RequestId, type RpcMessage } from './messages.js';

/**
 * One complete stdout line: a protocol message, or noise to log and skip. Noise that still names
 * the request it answers carries `responseTo`, so that request can fail at once.
 */
export type LineEvent =
  | { kind: 'message'; message: RpcMessage }
  | { kind: 'noise'; line: string; reason: string; responseTo?: RequestId };

/**
 * Deepest nesting of objects/arrays accepted in a message. JSON.parse copes with any depth, but the
 * recursive code that meets the value next (JSON.stringify, loggers, the app) overflows its stack.
 */
export const MAX_MESSAGE_DEPTH = 512;

/** A single line grew past the cap. The reader holds at most `limitBytes` bytes, never more. */
export class LineTooLongError extends Error {
  readonly code = 'LINE_TOO_LONG';
  readonly limitBytes: number;
  /** Bytes seen of the offending line when it crossed the cap (it may be longer still). */
  readonly bytes: number;
  constructor(limitBytes: number, bytes: number) {
    super(`a message line exceeds ${limitBytes} bytes (${bytes} bytes so far)`);
    this.name = 'LineTooLongError';
    this.limitBytes = limitBytes;
    this.bytes = bytes;
  }
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder('utf-8');

/**
 * Splits a byte stream into newline-delimited JSON-RPC messages. Pure: no streams, no I/O.
 * Bytes are joined before decoding, so a multi-byte character split across chunks survives.
 * Blank lines are ignored; lines that are not JSON or not JSON-RPC come back as `noise`.
 */
export class LineReader {
  readonly #maxLineBytes: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #failed: LineTooLongError | undefined;

  constructor(options: { maxLineBytes: number }) {
    this.#maxLineBytes = options.maxLineBytes;
  }

  /** Bytes held for the incomplete trailing line. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Feeds one chunk; returns the events of the lines it completed. Throws `LineTooLongError`, then keeps throwing. */
  push(chunk: Uint8Array): LineEvent[] {
    if (this.#failed) throw this.#failed;
    // Check every line against the cap by its bytes first, as the chunk arrived.
    let lineStart = 0;
    let last = -1;
    const firstNewline = chunk.indexOf(NEWLINE);
    for (let end = firstNewline; end !== -1; end = chunk.indexOf(NEWLINE, end + 1)) {
      this.#check((last === -1 ? this.#pendingBytes : 0) + end - lineStart);
      last = end;
      lineStart = end + 1;
    }
    const rest = chunk.length - lineStart;
    this.#check((last === -1 ? this.#pendingBytes : 0) + rest);
    const events: LineEvent[] = [];
    if (last !== -1) {
      // One decode for all the lines the chunk completes: 0x0a never occurs inside a UTF-8
      // sequence, so splitting the text at "\n" splits it where the bytes were split.
      const text = this.#take(chunk, last);
      // One line (the usual answer to one call): no array of one to split into.
      if (last === firstNewline) {
        const event = parseLine(text);
        if (event) events.push(event);
      } else {
        for (const line of text.split('\n')) {
          const event = parseLine(line);
          if (event) events.push(event);
        }
      }
    }
    // Copy: the caller may reuse its buffer.
    if (rest > 0) {
      this.#pending.push(chunk.slice(lineStart));
      this.#pendingBytes += rest;
    }
    return events;
  }

  /** End of input: an unterminated last line is still delivered. */
  end(): LineEvent[] {
    if (this.#failed || this.#pendingBytes === 0) return [];
    const event = parseLine(this.#take(new Uint8Array(0), 0));
    return event ? [event] : [];
  }

  #check(size: number): void {
    if (size <= this.#maxLineBytes) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#failed = new LineTooLongError(this.#maxLineBytes, size);
    throw this.#failed;
  }

  /** The held bytes and `chunk`'s first `end` bytes, decoded. */
  #take(chunk: Uint8Array, end: number): string {
    if (this.#pending.length === 0) {
      // A Buffer decodes in place, without a view made for it (the same replacement of invalid UTF-8 as TextDecoder).
      return Buffer.isBuffer(chunk) ? chunk.toString('utf8', 0, end) : decoder.decode(chunk.subarray(0, end));
    }
    const bytes = new Uint8Array(this.#pendingBytes + end);
    let offset = 0;
    for (const part of this.#pending) {
      bytes.set(part, offset);
      offset += part.length;
    }
    bytes.set(chunk.subarray(0, end), offset);
    this.#pending = [];
    this.#pendingBytes = 0;
    return decoder.decode(bytes);
  }
}

function parseLine(raw: string): LineEvent | undefined {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'noise', line, reason: 'not JSON' };
  }
  // Nesting N levels deep takes at least 2N characters: short lines need no walk.
  if (line.length > 2 * MAX_MESSAGE_DEPTH && nestedDeeperThan(value, MAX_MESSAGE_DEPTH)) {
    const id = responseId(value);
    return { kind: 'noise', line, reason: `nested deeper than ${MAX_MESSAGE_DEPTH} levels`, ...(id === undefined ? {} : { responseTo: id }) };
  }
  const message = toRpcMessage(value);
  if ('invalid' in message) {
    const { invalid, responseTo } = message;
    return { kind: 'noise', line, reason: `not a JSON-RPC 2.0 message: ${invalid}`, ...(responseTo === undefined ? {} : { responseTo }) };
  }
  return { kind: 'message', message };
}

/** The wire form of one message: compact JSON plus `\n` (JSON.stringify never emits a raw newline). */
export function serializeMessage(message: RpcMessage): string {
  return `${JSON.stringify(message)}\n`;
}
