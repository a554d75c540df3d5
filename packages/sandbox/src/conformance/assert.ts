import assert from 'node:assert/strict';

/** The fields the suite reads from a rejection; checked by value so errors from another realm or copy still pass. */
export interface CodedError {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  tool?: unknown;
}

export type Settled<T> =
  | { status: 'fulfilled'; value: T; elapsedMs: number }
  | { status: 'rejected'; reason: unknown; elapsedMs: number };

/** Starts `run` and waits for it to settle; fails the test (naming `what`) if it has not after `limitMs`. */
export async function settleWithin<T>(run: () => Promise<T>, limitMs: number, what: string): Promise<Settled<T>> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), limitMs);
  });
  try {
    const settled = await Promise.race([
      run().then(
        (value) => ({ status: 'fulfilled' as const, value, elapsedMs: performance.now() - started }),
        (reason: unknown) => ({ status: 'rejected' as const, reason, elapsedMs: performance.now() - started }),
      ),
      late,
    ]);
    if (settled === 'late') assert.fail(`${what}: still pending after ${limitMs} ms`);
    return settled;
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts a rejection with `code`; returns the error for further checks. */
export function assertRejected(settled: Settled<unknown>, code: string, what: string): CodedError {
  if (settled.status === 'fulfilled') {
    assert.fail(`${what}: expected a rejection with code ${code}, but it resolved with ${preview(settled.value)}`);
  }
  const error = settled.reason as CodedError | null;
  assert.ok(error instanceof Object, `${what}: expected an Error with code ${code}, got ${preview(error)}`);
  assert.equal(error.code, code, `${what}: expected code ${code}, got ${String(error.code)} (${String(error.message)})`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `${what}: the ${code} error has no message`);
  return error;
}

/** Deep equality of JSON values: key order and the realm objects were built in do not matter. */
export function assertJsonEqual(actual: unknown, expected: unknown, what: string): void {
  const normal = actual === undefined ? undefined : (JSON.parse(JSON.stringify(actual)) as unknown);
  assert.deepStrictEqual(normal, expected, `${what}: got ${preview(actual)}`);
}

export function preview(value: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

export { assert };
