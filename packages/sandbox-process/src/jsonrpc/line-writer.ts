import type { Writable } from 'node:stream';
import { serializeMessage } from './line-reader.js';
import type { RpcMessage } from './messages.js';

/**
 * Writes messages to a stream one whole line at a time, in call order, waiting for `drain`
 * when the stream asks for it, so two messages never interleave and a stuck reader
 * does not make Node buffer without bound inside the stream.
 */
export class LineWriter {
  readonly #stream: Writable;
  #tail: Promise<void> = Promise.resolve();
  #closed: Error | undefined;
  #queuedMessages = 0;
  #queuedBytes = 0;
  #belowWaiters: { bytes: number; resolve(): void }[] = [];

  constructor(stream: Writable) {
    this.#stream = stream;
    // A child that died turns writes into EPIPE; report it through the returned promises, not as an uncaught error.
    stream.on('error', (error) => {
      this.#closed ??= error;
    });
  }

  /** Messages (and their bytes) waiting for the stream: what a reader that does not read makes the writer hold. */
  get backlog(): { messages: number; bytes: number } {
    return { messages: this.#queuedMessages, bytes: this.#queuedBytes };
  }

  /** Resolves once the backlog is at most `bytes` (at once if it is already). */
  below(bytes: number): Promise<void> {
    if (this.#queuedBytes <= bytes) return Promise.resolve();
    return new Promise((resolve) => this.#belowWaiters.push({ bytes, resolve }));
  }

  /** Resolves once the line is handed to the stream; rejects if the stream is closed or fails. */
  write(message: RpcMessage): Promise<void> {
    const line = serializeMessage(message);
    const size = Buffer.byteLength(line);
    this.#queuedMessages += 1;
    this.#queuedBytes += size;
    const next = this.#tail.then(() => this.#writeNow(line)).finally(() => this.#dequeued(size));
    // Keep the queue going after a failed write; the failure goes to this caller only.
    this.#tail = next.catch(() => undefined);
    return next;
  }

  #dequeued(size: number): void {
    this.#queuedMessages -= 1;
    this.#queuedBytes -= size;
    if (this.#belowWaiters.length === 0) return;
    const ready = this.#belowWaiters.filter((w) => this.#queuedBytes <= w.bytes);
    this.#belowWaiters = this.#belowWaiters.filter((w) => this.#queuedBytes > w.bytes);
    for (const w of ready) w.resolve();
  }

  #writeNow(line: string): Promise<void> {
    const stream = this.#stream;
    if (this.#closed) return Promise.reject(this.#closed);
    if (stream.destroyed || stream.writableEnded) return Promise.reject(new Error('stream is closed'));
    if (stream.write(line)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        stream.off('drain', onDrain);
        stream.off('close', onClose);
        stream.off('error', done);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error('stream closed before it drained'));
      stream.on('drain', onDrain);
      stream.on('close', onClose);
      stream.on('error', done);
    });
  }
}
