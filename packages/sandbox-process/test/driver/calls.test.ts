import type { ExitInfo } from '@clawdesk/sandbox';
import { echoManifest, eventually, fixtureManifest, isAlive, opts, settle, start } from '../support/plugins.js';

const exitsOf = (instance: { onExit(cb: (i: ExitInfo) => void): unknown }) => {
  const exits: ExitInfo[] = [];
  instance.onExit((info) => exits.push(info));
  return exits;
};

describe('calls against a misbehaving plugin', () => {
  test('a call past its timeout that the plugin ignores rejects with TimeoutError, and the process is replaced for the next call', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('never-answers'));
    try {
      const exits = exitsOf(instance);
      const firstPid = instance.pid!;
      const outcome = await settle(instance.callTool('hang', {}, opts(300)));
      expect(outcome.ok).toBe(false);
      const error = (outcome as { error: any }).error;
      expect(error.code).toBe('TIMEOUT');
      expect(error.message).toBe('plugin "never-answers", tool "hang" timed out after 300 ms');
      expect(error.data.timeoutMs).toBe(300);
      expect(error.data.elapsedMs).toBeGreaterThanOrEqual(295);

      const next = await instance.callTool('pid', {}, opts());
      expect(next.structuredContent).toEqual({ pid: expect.any(Number) });
      expect(instance.pid).not.toBe(firstPid);
      expect(await eventually(() => !isAlive(firstPid))).toBe(true);
      expect(exits).toEqual([]);
      expect(ctx.logger.entries).toContainEqual({
        level: 'warn',
        message: 'restarting plugin process: tool "hang" timed out after 300 ms and did not stop within 100 ms of being cancelled',
        fields: { pid: firstPid },
      });
    } finally {
      await close();
    }
  });

  test('a timed-out call the plugin stops on notifications/cancelled keeps the same process', async () => {
    const { instance, close } = await start(await echoManifest());
    try {
      const pid = instance.pid;
      const outcome = await settle(instance.callTool('sleep', { ms: 5_000 }, opts(200)));
      expect((outcome as { error: any }).error.code).toBe('TIMEOUT');
      const next = await instance.callTool('echo', { same: 'process' }, opts());
      expect(next.structuredContent).toEqual({ same: 'process' });
      expect(instance.pid).toBe(pid);
    } finally {
      await close();
    }
  });

  test('other calls in flight on a process recycled for a timeout reject with CrashedError saying why', async () => {
    const { instance, close } = await start(await echoManifest());
    try {
      const bystander = settle(instance.callTool('sleep', { ms: 5_000 }, opts()));
      const spin = await settle(instance.callTool('spin', {}, opts(300)));
      expect((spin as { error: any }).error.code).toBe('TIMEOUT');
      const error = ((await bystander) as { error: any }).error;
      expect(error.code).toBe('CRASHED');
      expect(error.message).toBe(
        'plugin "process-echo", tool "sleep" crashed: its process was restarted because tool "spin" timed out after 300 ms and did not stop within 100 ms of being cancelled',
      );
      expect(error.data.reason).toBe('timeout');
      expect((await instance.callTool('echo', { ok: 1 }, opts())).structuredContent).toEqual({ ok: 1 });
    } finally {
      await close();
    }
  });

  test('an exit mid-call rejects every call in flight with CrashedError and fires onExit once', async () => {
    const { instance, close } = await start(await echoManifest());
    try {
      const exits = exitsOf(instance);
      const pid = instance.pid!;
      const sleeping = [1, 2, 3].map((n) => settle(instance.callTool('sleep', { ms: 10_000 + n }, opts())));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const crash = await settle(instance.callTool('crash', {}, opts()));
      for (const outcome of [crash, ...(await Promise.all(sleeping))]) {
        expect(outcome.ok).toBe(false);
        const error = (outcome as { error: any }).error;
        expect(error.code).toBe('CRASHED');
        expect(error.message).toMatch(/^plugin "process-echo", tool "(crash|sleep)" crashed: exited unexpectedly with exit code 3$/);
        expect(error.data).toEqual({ exitCode: 3, signal: null, stderr: '' });
      }
      expect(exits).toEqual([
        { reason: 'crash', code: 3, signal: null, message: 'plugin "process-echo" crashed: exited unexpectedly with exit code 3' },
      ]);
      expect(isAlive(pid)).toBe(false);
      const later = await settle(instance.callTool('echo', {}, opts()));
      expect((later as { error: any }).error.code).toBe('CRASHED');
    } finally {
      await close();
    }
  });

  test('stdout lines that are not protocol messages are logged and skipped; console.log lands on stderr', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('stdout-garbage'));
    try {
      const result = await instance.callTool('noisy', { keep: 'going' }, opts());
      expect(result.structuredContent).toEqual({ keep: 'going' });
      await eventually(() => ctx.logger.entries.some((e) => e.message === 'console.log goes to stderr under serve()'));
      const noise = ctx.logger.entries.filter((e) => e.message.startsWith('plugin wrote a non-protocol line'));
      expect(noise.map((e) => e.fields)).toEqual([
        { reason: 'not JSON', line: 'Server listening (a banner some libraries print)' },
        { reason: 'not a JSON-RPC 2.0 message: missing "jsonrpc": "2.0"', line: '{"not": "json-rpc"}' },
        { reason: 'not a JSON-RPC 2.0 message: not an object', line: '[1, 2, 3]' },
        { reason: 'not JSON', line: '\u001b[32mprogress 50%\u001b[0m' },
      ]);
      expect(noise[0]?.level).toBe('warn');
      expect(ctx.logger.entries).toContainEqual({ level: 'info', message: 'console.log goes to stderr under serve()', fields: { stream: 'stderr' } });
    } finally {
      await close();
    }
  });

  test('a message larger than the cap kills the plugin with OutputTooLargeError for every call in flight', async () => {
    const { instance, close } = await start(fixtureManifest('huge-line'), { driver: { maxMessageBytes: 64 * 1024 } });
    try {
      const exits = exitsOf(instance);
      const pid = instance.pid!;
      const waiting = settle(instance.callTool('wait', { ms: 10_000 }, opts()));
      const huge = await settle(instance.callTool('huge', { bytes: 200_000 }, opts()));
      for (const [tool, outcome] of [['huge', huge], ['wait', await waiting]] as const) {
        const error = (outcome as { error: any }).error;
        expect(error.code).toBe('OUTPUT_TOO_LARGE');
        expect(error.message).toBe(`plugin "huge-line", tool "${tool}" output exceeds 65536 bytes`);
        expect(error.data.limitBytes).toBe(65_536);
        expect(error.data.bytes).toBeGreaterThan(65_536);
      }
      expect(await eventually(() => !isAlive(pid))).toBe(true);
      expect(exits).toHaveLength(1);
      expect(exits[0]).toMatchObject({ reason: 'crash', message: 'plugin "huge-line" output exceeds 65536 bytes' });
    } finally {
      await close();
    }
  });

  test('a result just under the cap arrives whole', async () => {
    const { instance, close } = await start(fixtureManifest('huge-line'), { driver: { maxMessageBytes: 64 * 1024 } });
    try {
      const result = await instance.callTool('huge', { bytes: 30_000 }, opts());
      expect(result.structuredContent).toBe('x'.repeat(30_000));
    } finally {
      await close();
    }
  });

  test('a plugin that runs out of memory (heap, or the cgroup of the OS sandbox) fails with MEMORY_LIMIT, reason "memory"', async () => {
    const { instance, close } = await start(fixtureManifest('memory-bomb', { permissions: { memoryMb: 32 } }));
    try {
      const exits = exitsOf(instance);
      const outcome = await settle(instance.callTool('allocate', {}, opts(15_000)));
      const error = (outcome as { error: any }).error;
      expect(error.code).toBe('MEMORY_LIMIT');
      expect(error.message).toBe('plugin "memory-bomb", tool "allocate" exceeded its memory cap of 32 MB (permissions.memoryMb)');
      expect(error.data.limitMb).toBe(32);
      expect(error.data.reason).toBe('memory');
      expect(exits).toHaveLength(1);
      expect(exits[0]?.reason).toBe('memory');
    } finally {
      await close();
    }
  }, 30_000);

  test('a result without a content array rejects with InvalidOutputError; a JSON-RPC error rejects with ToolError keeping its code', async () => {
    const { instance, close } = await start(fixtureManifest('bad-results'));
    try {
      const bad = (await settle(instance.callTool('no_content', {}, opts()))) as { error: any };
      expect(bad.error).toMatchObject({
        code: 'INVALID_OUTPUT',
        message: 'plugin "bad-results", tool "no_content" returned invalid output: "tools/call" result has no "content" array',
      });
      const failed = (await settle(instance.callTool('rpc_error', {}, opts()))) as { error: any };
      expect(failed.error).toMatchObject({
        code: 'TOOL_ERROR',
        message: 'plugin "bad-results", tool "rpc_error" failed: database is locked',
        data: { rpcCode: -32603, rpcData: { retry: true } },
      });
      const hook = (await settle(instance.dispatch('on_message', {}, opts()))) as { error: any };
      expect(hook.error).toMatchObject({ code: 'TOOL_ERROR', data: { hook: 'on_message', rpcCode: -32601 } });
    } finally {
      await close();
    }
  });
});

describe('errors of calls that end together', () => {
  test('dispose rejects each call in flight with its own DISPOSED error naming its own tool', async () => {
    const { instance, close } = await start(await echoManifest());
    try {
      const sleeping = settle(instance.callTool('sleep', { ms: 5_000 }, opts()));
      const spinning = settle(instance.callTool('spin', {}, opts()));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await instance.dispose();
      const [a, b] = [(await sleeping) as { error: any }, (await spinning) as { error: any }];
      expect([a.error.code, b.error.code]).toEqual(['DISPOSED', 'DISPOSED']);
      expect([a.error.tool, b.error.tool]).toEqual(['sleep', 'spin']);
      expect(a.error).not.toBe(b.error);
    } finally {
      await close();
    }
  });

  test('a crash reported to an exit listener that disposes at once still rejects the calls in flight with CRASHED', async () => {
    const { instance, close } = await start(await echoManifest());
    try {
      instance.onExit(() => void instance.dispose());
      const sleeping = settle(instance.callTool('sleep', { ms: 5_000 }, opts()));
      const crashing = settle(instance.callTool('crash', {}, opts()));
      const [a, b] = [(await sleeping) as { error: any }, (await crashing) as { error: any }];
      expect([a.error.code, b.error.code]).toEqual(['CRASHED', 'CRASHED']);
    } finally {
      await close();
    }
  });
});
