/**
 * The main thread's end of one plugin worker: gives a booted thread its plugin, runs one call at
 * a time over the SharedArrayBuffer channel (protocol.ts), answers the worker's host calls, and
 * reports an unexpected death. Queues, timeouts and restarts belong to the instance above it;
 * booting threads ahead of time belongs to spare.ts.
 */
import { existsSync } from 'node:fs';
import { MessageChannel, type MessagePort, receiveMessageOnPort, type ResourceLimits, Worker } from 'node:worker_threads';
import { type Contention, Handoff, SpinResult, spinOnState } from './handoff.js';
import type { HostServices } from './host-services.js';
import { BULK, HEADER_BYTES, type HttpRequest, Slot, State, Status, type TrapReason, type WorkerChannel, type WorkerEvent, type WorkerSetup } from './protocol.js';

/** What one call produced, as the main thread sees it. */
export type RawOutcome =
  | { status: 'ok'; text: string }
  | { status: 'invalid-utf8' }
  | { status: 'no-output' }
  | { status: 'plugin-error'; message: string }
  | { status: 'trap'; message: string; reason: TrapReason }
  | { status: 'too-large'; bytes: number };

export interface WorkerDeath {
  reason: TrapReason;
  message: string;
  code?: number | null;
}

/** A started thread with its channel, not yet given a plugin. */
export interface BootedWorker {
  readonly worker: Worker;
  readonly sab: SharedArrayBuffer;
  /** The main thread's ends of the ports. */
  readonly bulk: MessagePort;
  readonly events: MessagePort;
}

/**
 * Starts a worker thread that loads Extism and waits for its plugin. Unref'd: a booted worker
 * that nobody claims never keeps the process alive.
 */
export function bootWorker(channelBytes: number, resourceLimits: ResourceLimits): BootedWorker {
  const sab = new SharedArrayBuffer(HEADER_BYTES + channelBytes);
  const bulk = new MessageChannel();
  const events = new MessageChannel();
  const channel: WorkerChannel = { sab, bulk: bulk.port2, events: events.port2 };
  const worker = new Worker(workerUrl(), {
    workerData: channel,
    transferList: [bulk.port2, events.port2],
    resourceLimits,
    env: {},
    stdout: false,
    stderr: false,
  });
  // Never let a worker 'error' go unheard (an unheard one would crash the host); phases add their own.
  worker.on('error', () => {});
  worker.unref();
  bulk.port1.unref();
  events.port1.unref();
  return { worker, sab, bulk: bulk.port1, events: events.port1 };
}

export interface StartOptions {
  setup: WorkerSetup;
  /** A booted worker for this start: the driver's spare, or a new one. */
  boot(): BootedWorker;
  hostSpinMicros: number;
  /** Longest synchronous wait for a call expected to be short, µs (spin included). */
  hostWaitMicros: number;
  /** A fixed idle spin for the worker, µs; undefined learns it (handoff.ts). */
  workerSpinMicros: number | undefined;
  /** The driver's shared view of whether spinning pays on this machine. */
  contention: Contention;
  startTimeoutMs: number;
  services: HostServices;
  onDeath(death: WorkerDeath): void;
  signal?: AbortSignal;
  /** Thread ids of workers not yet exited; this worker adds itself and leaves on 'exit'. */
  live: Set<number>;
}

export class StartError extends Error {
  constructor(
    message: string,
    readonly aborted = false,
  ) {
    super(message);
  }
}

/** A call whose worker time was under this is expected to be short again, µs. */
const SHORT_CALL_MICROS = 50;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class PluginWorker {
  readonly threadId: number;
  readonly #worker: Worker;
  readonly #ctl: Int32Array;
  readonly #data: Uint8Array;
  readonly #bulk: MessagePort;
  readonly #events: MessagePort;
  readonly #opts: StartOptions;
  #signalOf: () => AbortSignal = () => new AbortController().signal;
  #closed = false;
  /** The plugin's last call took less than SHORT_CALL_MICROS of the worker's time. */
  #expectShort = true;
  readonly #handoff: Handoff;

  private constructor(booted: BootedWorker, opts: StartOptions) {
    this.#worker = booted.worker;
    this.threadId = booted.worker.threadId;
    this.#ctl = new Int32Array(booted.sab, 0, HEADER_BYTES / 4);
    this.#data = new Uint8Array(booted.sab, HEADER_BYTES);
    this.#bulk = booted.bulk;
    this.#events = booted.events;
    this.#opts = opts;
    this.#handoff = new Handoff(opts.contention, opts.workerSpinMicros);
  }

  /** Gives a booted worker its plugin and resolves once the plugin is instantiated. */
  static async start(opts: StartOptions): Promise<PluginWorker> {
    const self = new PluginWorker(opts.boot(), opts);
    const worker = self.#worker;
    opts.live.add(self.threadId);
    worker.once('exit', () => opts.live.delete(self.threadId));
    // Held while starting, like any pending operation; #listen() lets go again.
    worker.ref();
    worker.postMessage(opts.setup);
    await self.#started();
    return self;
  }

  /**
   * Runs one export (one call at a time). Resolves undefined when the worker was terminated or died meanwhile
   * (the instance learns why from its own timers or `onDeath`).
   */
  call(exportIndex: number, input: string, signalOf: () => AbortSignal): Promise<RawOutcome | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    const ctl = this.#ctl;
    // Host calls of this call get its signal (made on demand: most calls make none).
    this.#signalOf = signalOf;
    ctl[Slot.InputLength] = this.#writeInput(input);
    ctl[Slot.Export] = exportIndex;
    const started = performance.now();
    ctl[Slot.WorkerSpin] = this.#handoff.workerSpin(started);
    Atomics.store(ctl, Slot.State, State.Request);
    Atomics.notify(ctl, Slot.State);
    // A call expected to be short is waited for synchronously, up to hostWaitMicros: its answer then
    // needs no event-loop wake-up (Atomics.waitAsync costs 3-100 µs more, the most on a busy machine
    // or when the worker was asleep). Spinning the first hostSpinMicros while the machine has cores
    // to spare; blocked otherwise, which leaves the core to the worker and is woken by the worker's
    // notify directly. Skipped while this plugin's last call ran longer than SHORT_CALL_MICROS: the
    // event loop is held only for calls that were short, and never longer than hostWaitMicros.
    let spin: SpinResult | undefined; // undefined: it did not spin
    const { hostSpinMicros, hostWaitMicros } = this.#opts;
    if (hostWaitMicros > 0 && this.#expectShort) {
      const until = started + hostWaitMicros / 1000;
      if (hostSpinMicros > 0 && this.#opts.contention.allows(started)) spin = spinOnState(ctl, started + hostSpinMicros / 1000, answered);
      for (let left = until - performance.now(); left > 0 && Atomics.load(ctl, Slot.State) === State.Request; left = until - performance.now()) {
        Atomics.wait(ctl, Slot.State, State.Request, left);
      }
      if (Atomics.load(ctl, Slot.State) === State.Response) return Promise.resolve(this.#read(started, spin));
    }
    return this.#awaitResponse(started, spin);
  }

  /** Stops the thread (interrupting wasm mid-instruction if needed). Idempotent. */
  terminate(): Promise<void> {
    this.#close();
    return this.#worker.terminate().then(
      () => undefined,
      () => undefined,
    );
  }

  async #awaitResponse(started: number, spin: SpinResult | undefined): Promise<RawOutcome | undefined> {
    const ctl = this.#ctl;
    for (;;) {
      const state = Atomics.load(ctl, Slot.State);
      if (state === State.Response) return this.#read(started, spin);
      if (state !== State.Request) return undefined;
      const wait = Atomics.waitAsync(ctl, Slot.State, State.Request);
      if (wait.async) await wait.value;
    }
  }

  #writeInput(input: string): number {
    const data = this.#data;
    if (input.length * 3 <= data.length) return encoder.encodeInto(input, data).written;
    const bytes = encoder.encode(input);
    if (bytes.length <= data.length) {
      data.set(bytes);
      return bytes.length;
    }
    this.#bulk.postMessage(bytes, [bytes.buffer]);
    return BULK;
  }

  #read(started: number, spin: SpinResult | undefined): RawOutcome {
    const ctl = this.#ctl;
    const now = performance.now();
    const workMicros = ctl[Slot.WorkNanos]! / 1000;
    this.#handoff.answered(now, (now - started) * 1000, workMicros, ctl[Slot.Wait]!, spin === SpinResult.Preempted, spin === SpinResult.Done);
    // Judged by the worker's own time, not the round trip: a slow wake-up must not switch the spin off.
    this.#expectShort = workMicros < SHORT_CALL_MICROS;
    // Logs the plugin wrote during the call reach the logger before the call's answer.
    if (ctl[Slot.Events]! > 0) {
      ctl[Slot.Events] = 0;
      for (let m = receiveMessageOnPort(this.#events); m !== undefined; m = receiveMessageOnPort(this.#events)) this.#onEvent(m.message as WorkerEvent);
    }
    const status = ctl[Slot.Status];
    const length = ctl[Slot.OutputLength]!;
    try {
      if (status === Status.Ok) {
        const bytes = length === BULK ? (receiveMessageOnPort(this.#bulk)?.message as Uint8Array) : this.#data.subarray(0, length);
        try {
          return { status: 'ok', text: decoder.decode(bytes) };
        } catch {
          return { status: 'invalid-utf8' };
        }
      }
      if (status === Status.NoOutput) return { status: 'no-output' };
      const detail = JSON.parse(decoder.decode(this.#data.subarray(0, length))) as { message?: string; reason?: TrapReason; bytes?: number };
      if (status === Status.PluginError) return { status: 'plugin-error', message: detail.message ?? '' };
      if (status === Status.TooLarge) return { status: 'too-large', bytes: detail.bytes ?? 0 };
      return { status: 'trap', message: detail.message ?? 'trap', reason: detail.reason ?? 'crash' };
    } finally {
      Atomics.store(ctl, Slot.State, State.Idle);
    }
  }

  #started(): Promise<void> {
    const { signal, startTimeoutMs } = this.#opts;
    return new Promise<void>((resolve, reject) => {
      const fail = (error: StartError) => {
        cleanup();
        void this.terminate();
        reject(error);
      };
      const onEvent = (event: WorkerEvent) => {
        if (event.type === 'ready') {
          cleanup();
          this.#listen();
          resolve();
        } else if (event.type === 'fatal') fail(new StartError(event.message));
      };
      const onError = (error: Error) => fail(new StartError(error.message));
      const onExit = (code: number) => fail(new StartError(`the worker exited with code ${code} while starting`));
      const onAbort = () => fail(new StartError('instantiation was cancelled', true));
      const timer = setTimeout(() => fail(new StartError(`the plugin did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#events.off('message', onEvent);
        this.#worker.off('error', onError);
        this.#worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#events.on('message', onEvent);
      this.#worker.on('error', onError);
      this.#worker.on('exit', onExit);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** After start: host calls and logs from the worker, and its unexpected death. */
  #listen(): void {
    this.#events.on('message', (event: WorkerEvent) => this.#onEvent(event));
    // Neither the idle worker nor its ports may keep the host process alive; in-flight calls hold a timer.
    this.#events.unref();
    this.#bulk.unref();
    this.#worker.unref();
    let died = false;
    const die = (death: WorkerDeath) => {
      if (this.#closed || died) return;
      died = true;
      this.#close();
      this.#opts.onDeath(death);
    };
    this.#worker.on('error', (error: Error & { code?: string }) =>
      die({ reason: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash', message: error.message }),
    );
    this.#worker.on('exit', (code) => die({ reason: 'crash', message: `the worker exited with code ${code}`, code }));
  }

  #onEvent(event: WorkerEvent): void {
    if (event.type === 'log') this.#opts.services.log(event.level, event.message);
    else if (event.type === 'host') void this.#answer(event.name, event.payload);
  }

  async #answer(name: 'browser_download' | 'http', payload: unknown): Promise<void> {
    const signal = this.#signalOf();
    const { services } = this.#opts;
    let reply: unknown;
    try {
      reply =
        name === 'browser_download' ? await services.browserDownload(String(payload), signal) : await services.http(payload as HttpRequest, signal);
    } catch (error) {
      // The worker is blocked until it hears back: always answer.
      const message = error instanceof Error ? error.message : String(error);
      reply = name === 'browser_download' ? JSON.stringify({ error: message }) : { status: 0, error: message };
    }
    if (this.#closed) return;
    this.#bulk.postMessage(reply);
    Atomics.store(this.#ctl, Slot.HostReply, 1);
    Atomics.notify(this.#ctl, Slot.HostReply);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Wakes our own pending waitAsync, which then resolves undefined.
    Atomics.store(this.#ctl, Slot.State, State.Abandoned);
    Atomics.notify(this.#ctl, Slot.State);
    this.#events.close();
    this.#bulk.close();
  }
}

/** The worker has answered (or the channel was abandoned): the main thread's spin is over. */
const answered = (state: number) => state !== State.Request;

/** dist/worker.js next to this module; from src (tests), the built one. */
function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  return existsSync(here) ? here : new URL('../dist/worker.js', import.meta.url);
}
