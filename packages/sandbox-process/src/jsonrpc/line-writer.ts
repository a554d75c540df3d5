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

  constructor(stream: Writable) {
    this.#stream = stream;
    // A child that died turns writes into EPIPE; report it through the returned promises, not as an uncaught error.
    stream.on('error', (error) => {
      this.#closed ??= error;
    });
  }

  /** Resolves once the line is handed to the stream; rejects if the stream is closed or fails. */
  write(message: RpcMessage): Promise<void> {
    const line = serializeMessage(message);
    const next = this.#tail.then(() => this.#writeNow(line));
    // Keep the queue going after a failed write; the failure goes to this caller only.
    this.#tail = next.catch(() => undefined);
    return next;
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
