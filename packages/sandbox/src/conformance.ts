/**
 * `@clawdesk/sandbox/conformance`: the tests every SandboxDriver must pass, plus test helpers.
 * Every export here is public API.
 *
 * The suite asserts with `node:assert`, so it needs no `expect` and no @types/jest: only a
 * runner's `describe` and `test` (jest, vitest with `globals: true`, bun test) or `options.runner`.
 */
import { type ConformanceCase, type ConformanceOptions, createConformanceCases } from './conformance/cases.js';

/** The two runner functions the suite uses; jest's and vitest's globals match. */
export interface ConformanceRunner {
  describe(name: string, body: () => void): void;
  test(name: string, body: () => Promise<void>, timeoutMs?: number): void;
}

export interface ConformanceSuiteOptions extends ConformanceOptions {
  /** Default: the global `describe` and `test`. */
  runner?: ConformanceRunner;
}

/**
 * Registers the conformance tests for one driver. Call it at the top level of a test file;
 * run that file alone (`maxWorkers: 1`) so timing checks are not skewed by parallel tests.
 */
export function defineConformanceSuite(options: ConformanceSuiteOptions): void {
  const runner = options.runner ?? globalRunner();
  const cases = createConformanceCases(options);
  runner.describe(`${options.name} conforms to the SandboxDriver contract`, () => {
    for (const c of cases) runner.test(c.name, () => c.run(), c.timeoutMs);
  });
}

function globalRunner(): ConformanceRunner {
  const g = globalThis as Partial<ConformanceRunner>;
  if (typeof g.describe !== 'function' || typeof g.test !== 'function') {
    throw new Error(
      'defineConformanceSuite needs the global describe() and test() of a test runner (jest, vitest with globals: true, bun test), or options.runner',
    );
  }
  return { describe: g.describe, test: g.test };
}

export { createConformanceCases };
export type { ConformanceCase, ConformanceOptions };
export { createRecordingLogger, createTestContext } from './conformance/context.js';
export type { LogEntry, RecordingLogger, TestContext, TestContextOptions } from './conformance/context.js';
export { bigPayload, ECHO_PAYLOADS } from './conformance/payloads.js';
