import type { Writable } from 'node:stream';
import { serializeMessage } from './line-reader.js';
import type { RpcMessage } from './messages.js';

/** Lines joined into one stream write; the messages of one batch share its promise, made only if a `write` asks. */
interface Batch {
  text: string;
  bytes: number;
  messages: number;
  settled?: { promise: Promise<void>; resolve(): void; reject(error: Error): void };
}

/**
 * Writes messages to a stream one whole line at a time, in call order, waiting for `drain`
 * when the stream asks for it, so two messages never interleave and a stuck reader
 * does not make Node buffer without bound inside the stream.
 *
 * Lines written in the same tick are joined and handed over in one `write` (one syscall on a
 * pipe, one wake-up of the reader) once the tick's microtasks have run: with many calls in
 * flight that is most of what a call costs. A batch holds at most the stream's high-water
 * mark (or one message, if bigger), so the stream never takes more than that beyond its mark.
 */
export class LineWriter {
  readonly #stream: Writable;
  readonly #batchBytes: number;
  #queue: Batch[] = [];
  #scheduled = false;
  #draining = false;
  #closed: Error | undefined;
  #queuedMessages = 0;
  #queuedBytes = 0;
  #belowWaiters: { bytes: number; resolve(): void }[] = [];

  constructor(stream: Writable) {
    this.#stream = stream;
    this.#batchBytes = Math.max(1, stream.writableHighWaterMark ?? 16 * 1024);
    // A child that died turns writes into EPIPE; report it through the returned promises, not as an uncaught error.
    stream.on('error', (error) => {
      this.#closed ??= error;
    });
  }

  /** Messages (and their bytes) waiting for the stream: what a reader that does not read makes the writer hold. */
  get backlog(): { messages: number; bytes: number } {
    return { messages: this.#queuedMessages, bytes: this.#queuedBytes };
  }

  /** `backlog.bytes` without the object: read on every write. */
  get backlogBytes(): number {
    return this.#queuedBytes;
  }

  /** Resolves once the backlog is at most `bytes` (at once if it is already). */
  below(bytes: number): Promise<void> {
    if (this.#queuedBytes <= bytes) return Promise.resolve();
    return new Promise((resolve) => this.#belowWaiters.push({ bytes, resolve }));
  }

  /** Resolves once the line is handed to the stream; rejects if the stream is closed or fails. */
  write(message: RpcMessage): Promise<void> {
    const batch = this.#queueLine(message);
    batch.settled ??= deferred();
    return batch.settled.promise;
  }

  /** `write` for a caller that learns of a failure otherwise (a dying child's exit): no promise to make and settle. */
  post(message: RpcMessage): void {
    this.#queueLine(message);
  }

  #queueLine(message: RpcMessage): Batch {
    const line = serializeMessage(message);
    // Byte length only matters against the batch cap and the backlog; ASCII (the usual case) needs no scan.
    const size = Buffer.byteLength(line);
    this.#queuedMessages += 1;
    this.#queuedBytes += size;
    let batch = this.#queue[this.#queue.length - 1];
    if (!batch || batch.bytes + size > this.#batchBytes) {
      batch = { text: '', bytes: 0, messages: 0 };
      this.#queue.push(batch);
    }
    batch.text += line;
    batch.bytes += size;
    batch.messages += 1;
    if (!this.#scheduled && !this.#draining) {
      this.#scheduled = true;
      // After the current microtasks: every call started by the same wake-up joins this write.
      process.nextTick(() => this.#flush());
    }
    return batch;
  }

  #flush(): void {
    this.#scheduled = false;
    const stream = this.#stream;
    while (!this.#draining) {
      const batch = this.#queue.shift();
      if (!batch) return;
      const failure = this.#closed ?? (stream.destroyed || stream.writableEnded ? new Error('stream is closed') : undefined);
      if (failure) {
        this.#settle(batch, failure);
        continue;
      }
      if (stream.write(batch.text)) {
        this.#settle(batch);
        continue;
      }
      // The stream is over its mark: this batch counts as waiting until it drains.
      this.#draining = true;
      this.#waitForDrain().then(
        () => this.#afterDrain(batch),
        (error: Error) => this.#afterDrain(batch, error),
      );
    }
  }

  #afterDrain(batch: Batch, error?: Error): void {
    this.#draining = false;
    this.#settle(batch, error);
    this.#flush();
  }

  #settle(batch: Batch, error?: Error): void {
    this.#dequeued(batch);
    if (error) batch.settled?.reject(error);
    else batch.settled?.resolve();
  }

  #waitForDrain(): Promise<void> {
    const stream = this.#stream;
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

  #dequeued(batch: Batch): void {
    this.#queuedMessages -= batch.messages;
    this.#queuedBytes -= batch.bytes;
    if (this.#belowWaiters.length === 0) return;
    const ready = this.#belowWaiters.filter((w) => this.#queuedBytes <= w.bytes);
    this.#belowWaiters = this.#belowWaiters.filter((w) => this.#queuedBytes > w.bytes);
    for (const w of ready) w.resolve();
  }
}

function deferred(): NonNullable<Batch['settled']> {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
