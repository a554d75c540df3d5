import { AssertionError } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { type ConformanceCase, type ConformanceOptions, createConformanceCases } from '../src/conformance.js';
import { createInMemoryDriver, type SandboxDriver, toToolResult } from '../src/index.js';
import { conformanceModule } from './fixtures/conformance-module.js';
import { faultyDriver } from './fixtures/faulty-driver.js';
import { nativeManifest } from './fixtures/manifest.js';

const manifest = nativeManifest('conformance');

function caseOf(driver: SandboxDriver, starts: string, extra: Partial<ConformanceOptions> = {}): ConformanceCase {
  const cases = createConformanceCases({
    name: 'faulty',
    createDriver: () => driver,
    loadPlugin: async () => manifest,
    supports: { killRunawayCall: false },
    ...extra,
  });
  const found = cases.find((c) => c.name.startsWith(starts));
  if (!found) throw new Error(`no case starting with "${starts}" in: ${cases.map((c) => c.name).join(' | ')}`);
  return found;
}

async function failure(c: ConformanceCase): Promise<string> {
  const error = await c.run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AssertionError);
  return (error as Error).message;
}

describe('the conformance suite fails drivers that break the contract', () => {
  test('a driver that leaves a timer running after dispose fails the leak check, naming Timeout', async () => {
    const timers: NodeJS.Timeout[] = [];
    const leaky = faultyDriver(
      () => ({}),
      () => timers.push(setInterval(() => {}, 1_000)),
    );
    try {
      expect(await failure(caseOf(leaky, 'dispose() leaves no open handle'))).toMatch(/still referenced: Timeout":1/);
    } finally {
      timers.forEach(clearInterval);
    }
  });

  test('a driver that leaves a child process running after dispose fails the leak check, naming it', async () => {
    const children: ChildProcess[] = [];
    const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
    const leaky = faultyDriver(
      () => ({}),
      () => children.push(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env, stdio: 'ignore' })),
    );
    try {
      const message = await failure(caseOf(leaky, 'dispose() leaves no open handle'));
      expect(message).toMatch(/"active ProcessWrap":1/);
      expect(message).toMatch(/"created and still referenced: PROCESSWRAP":1/);
    } finally {
      for (const child of children) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
  });

  test('a liveResources() that never reports anything is rejected as unable to detect leaks', async () => {
    const c = caseOf(faultyDriver(() => ({})), 'dispose() leaves no open handle', { liveResources: () => [] });
    expect(await failure(c)).toMatch(/liveResources\(\) returned \[\] while an instance was running/);
  });

  test('a driver whose liveResources() still lists something after dispose fails', async () => {
    const live = new Set<string>();
    const driver = faultyDriver(
      () => ({}),
      () => live.add('worker-1'),
    );
    const c = caseOf(driver, 'dispose() leaves no open handle', { liveResources: () => [...live] });
    expect(await failure(c)).toMatch(/liveResources\(\) after dispose\(\): \["worker-1"\]/);
  });

  test('a driver that enforces timeouts 600 ms late fails the timeout check', async () => {
    const late = faultyDriver((instance) => ({
      callTool: (name, args, o) => instance.callTool(name, args, { ...o, timeoutMs: o.timeoutMs + 600 }),
    }));
    expect(await failure(caseOf(late, 'a call past its timeoutMs'))).toMatch(/spin with timeoutMs 300: rejected after \d+ ms, more than 250 ms late/);
  });

  test('a driver that loses astral characters fails the echo check', async () => {
    const lossy = faultyDriver((instance) => ({
      callTool: async (name, args, o) => {
        const text = JSON.stringify(args).replace(/[\u{10000}-\u{10FFFF}]/gu, '?');
        return name === 'echo' ? toToolResult(JSON.parse(text)) : instance.callTool(name, args, o);
      },
    }));
    expect(await failure(caseOf(lossy, 'echo returns arbitrary JSON'))).toMatch(/echo of emoji and astral-plane characters/);
  });

  test('a driver that returns echo keys in another order still passes (JSON objects are unordered)', async () => {
    const sorted = faultyDriver((instance) => ({
      callTool: async (name, args, o) => {
        const reorder = (v: unknown): unknown =>
          Array.isArray(v) ? v.map(reorder) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)])) : v;
        return name === 'echo' ? toToolResult(reorder(args)) : instance.callTool(name, args, o);
      },
    }));
    await expect(caseOf(sorted, 'echo returns arbitrary JSON').run()).resolves.toBeUndefined();
  });

  test('a driver that answers an unknown tool with an error result instead of rejecting fails', async () => {
    const soft = faultyDriver((instance) => ({
      callTool: (name, args, o) =>
        name === 'echo' || name === 'sleep' ? instance.callTool(name, args, o) : Promise.resolve({ content: [{ type: 'text', text: 'nope' }], isError: true }),
    }));
    expect(await failure(caseOf(soft, 'calling an unknown tool'))).toMatch(/expected a rejection with code TOOL_NOT_FOUND, but it resolved/);
  });

  test('a driver that mixes up concurrent answers fails the concurrency check', async () => {
    let previous: unknown = {};
    const mixed = faultyDriver((instance) => ({
      callTool: async (name, args, o) => {
        const answer = previous;
        previous = args;
        return name === 'echo' ? toToolResult(answer) : instance.callTool(name, args, o);
      },
    }));
    expect(await failure(caseOf(mixed, '100 concurrent echo calls'))).toMatch(/concurrent echo #0/);
  });

  test('a driver whose dispose() rejects in-flight calls with an uncoded error fails the dispose check', async () => {
    const pending = new Set<(e: Error) => void>();
    const sloppy = faultyDriver((instance) => ({
      callTool: (name, args, o) =>
        name === 'sleep' ? new Promise((_, reject) => pending.add(reject)) : instance.callTool(name, args, o),
      dispose: async () => {
        for (const reject of pending) reject(new Error('gone'));
        await instance.dispose();
      },
    }));
    expect(await failure(caseOf(sloppy, 'dispose() rejects in-flight calls'))).toMatch(/in-flight sleep #1: expected code DISPOSED, got undefined \(gone\)/);
  });

  test('a driver that reports one crash twice fails the crash check', async () => {
    const twice = faultyDriver((instance) => ({
      onExit: (listener) => instance.onExit((info) => {
        listener(info);
        listener(info);
      }),
    }));
    expect(await failure(caseOf(twice, 'a crash rejects the call'))).toMatch(/onExit should fire once, fired 2 times/);
  });

  test('a driver declaring crash unsupported whose crash tool does end the instance fails the alternative check', async () => {
    const c = caseOf(createInMemoryDriver({ modules: { conformance: conformanceModule } }), 'this driver cannot crash', { supports: { crash: false } });
    expect(await failure(c)).toMatch(/echo after crash: rejected with CRASHED/);
  });
});
