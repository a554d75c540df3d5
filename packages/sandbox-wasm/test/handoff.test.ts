// The spin policy of the call channel, driven with made-up clocks: what budget the worker gets
// for which pattern of calls, and when contention switches spinning off and back on.
import { Contention, Handoff, MAX_WORKER_SPIN_MICROS, WorkerWait } from '../src/handoff.js';

/** Sends `calls` calls `gapMicros` apart, each answered after 5 µs of work; returns the budgets. */
function drive(handoff: Handoff, start: number, calls: number, gapMicros: number, answer: { wait?: number; handoffMicros?: number; caught?: boolean } = {}) {
  const budgets: number[] = [];
  let now = start;
  for (let i = 0; i < calls; i++) {
    now += gapMicros / 1000;
    budgets.push(handoff.workerSpin(now));
    const total = 5 + (answer.handoffMicros ?? 1);
    now += total / 1000;
    handoff.answered(now, total, 5, answer.wait ?? WorkerWait.Spun, false, answer.caught ?? true);
  }
  return { budgets, now };
}

test('a worker spins after calls that come close together, and not before it has seen a gap', () => {
  const handoff = new Handoff(new Contention(2), undefined);
  const { budgets } = drive(handoff, 1000, 10, 3);
  expect(budgets[0]).toBe(0);
  expect(budgets.at(-1)).toBeGreaterThanOrEqual(6);
  expect(budgets.at(-1)).toBeLessThanOrEqual(MAX_WORKER_SPIN_MICROS);
});

test('calls far apart make the worker sleep at once', () => {
  const handoff = new Handoff(new Contention(2), undefined);
  const { budgets } = drive(handoff, 1000, 10, 2000);
  expect(budgets.every((b) => b === 0)).toBe(true);
});

test('slow handoffs switch spinning off for the whole driver, and a probe later switches it back on', () => {
  const contention = new Contention(2);
  const a = new Handoff(contention, undefined);
  const b = new Handoff(contention, undefined);
  let { now } = drive(a, 1000, 10, 3);
  ({ now } = drive(a, now, 8, 3, { handoffMicros: 200 })); // contention: slow answers
  expect(drive(a, now, 1, 3).budgets).toEqual([0]);
  expect(drive(b, now, 5, 3).budgets.every((x) => x === 0)).toBe(true);
  // After the backoff, a clean window keeps it on.
  const later = drive(a, now + 100, 40, 3);
  expect(later.budgets.at(-1)).toBeGreaterThan(0);
});

test('spins that end asleep although the request came within their budget count against spinning', () => {
  const contention = new Contention(2);
  const handoff = new Handoff(contention, undefined);
  const { now } = drive(handoff, 1000, 20, 3, { wait: WorkerWait.Expired });
  expect(drive(handoff, now, 1, 3).budgets).toEqual([0]);
});

test('a worker that was told to sleep, or a request that came after its budget, is not held against spinning', () => {
  // The pattern of an app that calls in bursts: close calls, a pause, close calls again. The first
  // call after each pause finds the worker asleep, slowly, as it should; spinning must stay on.
  const handoff = new Handoff(new Contention(2), undefined);
  let { now } = drive(handoff, 1000, 20, 3);
  for (let burst = 0; burst < 20; burst++) {
    now += 5; // 5 ms pause: the worker's budget ran out long before
    handoff.workerSpin(now);
    now += 0.05;
    handoff.answered(now, 40, 5, WorkerWait.Expired, false, true);
    handoff.workerSpin(now + 0.003);
    now += 0.01;
    handoff.answered(now, 35, 5, WorkerWait.Idle, false, true); // it had been told to sleep: woken slowly
    ({ now } = drive(handoff, now, 4, 3));
  }
  expect(drive(handoff, now, 1, 3).budgets[0]).toBeGreaterThan(0);
});

test('an answer the main thread was not spinning for starts no judgement of the next wait', () => {
  // It saw the answer late, so its gap to the next call understates the worker's wait.
  const handoff = new Handoff(new Contention(2), undefined);
  const { now } = drive(handoff, 1000, 60, 3, { wait: WorkerWait.Expired, caught: false });
  expect(drive(handoff, now, 1, 3).budgets[0]).toBe(MAX_WORKER_SPIN_MICROS);
});

test('a fixed workerSpinMicros is used as given, whatever the calls look like', () => {
  const handoff = new Handoff(new Contention(2), 7);
  expect(drive(handoff, 1000, 20, 5000, { handoffMicros: 500 }).budgets.every((b) => b === 7)).toBe(true);
});

test('on a single core nothing spins', () => {
  const handoff = new Handoff(new Contention(1), undefined);
  expect(drive(handoff, 1000, 20, 3).budgets.every((b) => b === 0)).toBe(true);
});
