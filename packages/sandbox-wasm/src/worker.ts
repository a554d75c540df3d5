/**
 * Entry of a plugin worker thread: boots with the channel only and loads Extism meanwhile, then
 * receives its one plugin (a `WorkerSetup` message), instantiates it in this thread's foreground
 * and serves calls from the SharedArrayBuffer channel (see protocol.ts) until it is terminated.
 * A worker runs at most one plugin in its life, so a spare one started early isolates as well.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SpinResult, spinOnState, WorkerWait } from './handoff.js';
import { BULK, HEADER_BYTES, Slot, State, Status, type WorkerChannel, type WorkerEvent, type WorkerInit, type WorkerSetup } from './protocol.js';
import { type CallOutcome, createRuntime } from './worker-runtime.js';

async function main(channel: WorkerChannel): Promise<void> {
  const ctl = new Int32Array(channel.sab, 0, HEADER_BYTES / 4);
  const emit = (event: WorkerEvent) => {
    channel.events.postMessage(event);
    ctl[Slot.Events]!++;
  };
  silenceWasiWarning();
  // Imported only now, so node:wasi's ExperimentalWarning is already filtered; and before the
  // plugin arrives, so a spare worker has it done by the time it is claimed.
  const loading = Promise.all([import('@extism/extism'), import('node:wasi')]);
  loading.catch(() => {}); // reported below, once the setup is here
  const setup = await new Promise<WorkerSetup>((resolve) => parentPort!.once('message', resolve));
  const init: WorkerInit = { ...channel, ...setup };
  const data = new Uint8Array(init.sab, HEADER_BYTES);
  let runtime;
  try {
    const [{ default: createPlugin }, { WASI }] = await loading;
    runtime = await createRuntime(init, ctl, emit, createPlugin, WASI);
  } catch (error) {
    emit({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  emit({ type: 'ready' });
  for (;;) {
    // The budget the main thread sent with the last request (0 before the first: sleep).
    ctl[Slot.Wait] = waitForRequest(ctl, Atomics.load(ctl, Slot.WorkerSpin));
    const seen = performance.now();
    const name = init.exports[ctl[Slot.Export]!] ?? '';
    const length = ctl[Slot.InputLength]!;
    const input = length === BULK ? takeBulk(init.bulk) : data.slice(0, length);
    const outcome = await runtime.call(name, input);
    ctl[Slot.WorkNanos] = Math.min((performance.now() - seen) * 1e6, 2 ** 31 - 1);
    respond(ctl, data, init.bulk, outcome);
    // After a trap the instance is unusable; the main thread ends this worker. Idle until then:
    // a thread that exits by itself races its own answer (the host would see "exited with code 0").
    if (outcome.status === Status.Trap) for (;;) Atomics.wait(ctl, Slot.State, Atomics.load(ctl, Slot.State));
  }
}

/**
 * Spins up to `spinMicros` (the main thread's budget), then sleeps in Atomics.wait until the next
 * request. Returns how it waited (WorkerWait). A spin that loses its core stops at once: on a busy
 * machine a thread that stays runnable loses the wake-up priority a sleeping one gets.
 */
function waitForRequest(ctl: Int32Array, spinMicros: number): number {
  if (Atomics.load(ctl, Slot.State) === State.Request) return WorkerWait.Spun;
  let wait: number = WorkerWait.Idle;
  if (spinMicros > 0) {
    const spin = spinOnState(ctl, performance.now() + spinMicros / 1000, (state) => state === State.Request);
    if (spin === SpinResult.Done) return WorkerWait.Spun;
    wait = spin === SpinResult.Preempted ? WorkerWait.Preempted : WorkerWait.Expired;
  }
  for (let state = Atomics.load(ctl, Slot.State); state !== State.Request; state = Atomics.load(ctl, Slot.State)) {
    Atomics.wait(ctl, Slot.State, state);
  }
  return wait;
}

function takeBulk(port: MessagePort): Uint8Array {
  const received = receiveMessageOnPort(port);
  if (received === undefined) throw new Error('a bulk payload was announced but none arrived');
  const bytes = received.message as Uint8Array;
  // Extism adopts a Uint8Array's whole buffer as the input block: it must be exactly this size.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

const encoder = new TextEncoder();

function respond(ctl: Int32Array, data: Uint8Array, bulk: MessagePort, outcome: CallOutcome): void {
  let length: number;
  if (outcome.status === Status.Ok) {
    const out = outcome.output;
    if (out.length <= data.length) {
      data.set(out);
      length = out.length;
    } else {
      const whole = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength && out.buffer instanceof ArrayBuffer;
      const copy = whole ? out : out.slice();
      bulk.postMessage(copy, [copy.buffer as ArrayBuffer]);
      length = BULK;
    }
  } else if (outcome.status === Status.NoOutput) {
    length = 0;
  } else {
    // Errors are small JSON; a long message is cut to fit the data area.
    const { status: _, ...detail } = outcome;
    if ('message' in detail && detail.message.length > data.length / 4) detail.message = `${detail.message.slice(0, data.length / 4 - 1)}…`;
    length = encoder.encodeInto(JSON.stringify(detail), data).written;
  }
  ctl[Slot.Status] = outcome.status;
  ctl[Slot.OutputLength] = length;
  Atomics.store(ctl, Slot.State, State.Response);
  Atomics.notify(ctl, Slot.State);
}

/** node:wasi announces itself as experimental in every thread that loads it; not news to the host's users. */
function silenceWasiWarning(): void {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/\bWASI\b/.test(text)) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

void main(workerData as WorkerChannel);
