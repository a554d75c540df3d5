import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resultValue, type ToolResult } from '@clawdesk/sandbox';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createOpenClawDriver } from '../../src/driver.js';
import type { PluginHost } from '@clawdesk/host';
import { fixtureDir, loadFixture, openHost, withHost } from '../support/plugins.js';

const opts = (signal = new AbortController().signal) => ({ signal, timeoutMs: 15_000 });
const journalOf = (dataDir: string) => readFileSync(path.join(dataDir, 'kitchen-sink', 'journal.log'), 'utf8');

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('an OpenClaw plugin with a TypeScript entry using the whole API', () => {
  test('describe() lists its tools (TypeBox schemas as plain JSON Schema), its hooks and what it registered that clawdesk cannot serve', async () => {
    const manifest = await loadFixture('kitchen-sink');
    const ctx = createTestContext(manifest);
    const instance = await createOpenClawDriver().instantiate(manifest, ctx);
    try {
      const described = await instance.describe();
      expect(described.tools.map((t) => t.name)).toEqual(['greet', 'wait_for_abort', 'read_file', 'fail', 'context']);
      expect(described.tools[0]).toEqual({
        name: 'greet',
        description: 'Greets someone with the configured greeting',
        inputSchema: { type: 'object', properties: { name: { type: 'string', description: 'Who to greet' } }, required: ['name'] },
      });
      expect(described.hooks.sort()).toEqual(['always_fails', 'before_prompt_build', 'tool_result_persist']);
      expect(described.unsupported).toEqual([
        { kind: 'command', name: 'sink' },
        { kind: 'http-route', name: '/sink' },
        { kind: 'provider', name: 'sink-llm' },
      ]);
      expect(ctx.logger.entries).toContainEqual({ level: 'info', message: 'kitchen-sink registered { tools: 5 }' });
    } finally {
      await instance.dispose();
      ctx.cleanup();
    }
  });

  test('api.pluginConfig is the host config with the configSchema defaults filled in', async () => {
    await withHost(
      [createOpenClawDriver()],
      async ({ host }) => {
        await host.load(fixtureDir('kitchen-sink'));
        expect(resultValue(await host.callTool('kitchen-sink', 'greet', { name: 'Ada' }))).toEqual({ text: 'Hi, Ada!', limit: 3 });
      },
      { 'kitchen-sink': { greeting: 'Hi' } },
    );
  });

  describe('loaded once in a host', () => {
    let shared: { host: PluginHost; dataDir: string; close(): Promise<void> };
    beforeAll(async () => {
      shared = await openHost([createOpenClawDriver()]);
      await shared.host.load(fixtureDir('kitchen-sink'));
    });
    afterAll(() => shared.close());

    test('the plugin works in its data dir: tool factory context, working directory, HOME and api.resolvePath', async () => {
      const { host, dataDir } = shared;
      const own = realpathSync(path.join(dataDir, 'kitchen-sink'));
      const seen = resultValue(await host.callTool('kitchen-sink', 'context', {})) as Record<string, unknown>;
      expect(seen).toMatchObject({ factoryWorkspaceDir: path.join(dataDir, 'kitchen-sink'), home: path.join(dataDir, 'kitchen-sink') });
      expect(realpathSync(seen.cwd as string)).toBe(own);
      expect(seen.journal).toBe(path.join(dataDir, 'kitchen-sink', 'journal.log'));
      // Plugins spread the API ({ ...api }): every member is an own property.
      expect(seen.apiKeys).toEqual(expect.arrayContaining(['id', 'pluginConfig', 'logger', 'registerTool', 'registerHook', 'on', 'registerService', 'resolvePath']));
    });

    test('typed hooks merge in priority order and internal hooks chain, even through a spread API', async () => {
      const { host } = shared;
      const [built] = await host.dispatch('before_prompt_build', { event: { prompt: 'hi' }, context: { sessionKey: 's1' } });
      expect(built).toEqual({ plugin: 'kitchen-sink', ok: true, value: { prependContext: 'high priority saw "hi"\n\nlow priority for s1' } });
      const [persisted] = await host.dispatch('tool_result_persist', { tool: 'read', content: 'x' });
      expect(persisted).toEqual({ plugin: 'kitchen-sink', ok: true, value: { tool: 'read', content: 'x [first] [second]' } });
      const [failed] = await host.dispatch('always_fails', {});
      expect(failed?.ok).toBe(false);
      expect((failed as { error: Error }).error.message).toContain('this hook always fails');
    });

    test('a tool error is an isError result, and the plugin keeps serving', async () => {
      const { host } = shared;
      const failed: ToolResult = await host.callTool('kitchen-sink', 'fail', {});
      expect(failed).toEqual({ content: [{ type: 'text', text: 'the tool failed on purpose' }], isError: true });
      expect(resultValue(await host.callTool('kitchen-sink', 'greet', { name: 'Bo' }))).toEqual({ text: 'Hello, Bo!', limit: 3 });
    });

    test('cancelling a call aborts the signal the tool received', async () => {
      const { host, dataDir } = shared;
      const controller = new AbortController();
      const call = host.callTool('kitchen-sink', 'wait_for_abort', {}, { signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
      await until(() => journalOf(dataDir).includes('aborted'), 'the tool to see the abort');
    });
  });

  test('services start with the plugin and stop when it is unloaded', async () => {
    await withHost([createOpenClawDriver()], async ({ host, dataDir }) => {
      await host.load(fixtureDir('kitchen-sink'));
      expect(journalOf(dataDir)).toBe('start\n');
      await host.unload('kitchen-sink');
      expect(journalOf(dataDir)).toBe('start\nstop\n');
    });
  });

  test('file reads outside the plugin dir are denied unless the operator grants them', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'clawdesk-outside-'));
    const secret = path.join(outside, 'secret.txt');
    writeFileSync(secret, 'granted');
    try {
      await withHost([createOpenClawDriver()], async ({ host }) => {
        await host.load(fixtureDir('kitchen-sink'));
        await expect(host.callTool('kitchen-sink', 'read_file', { path: secret })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      });
      const granted = createOpenClawDriver({ permissions: { 'kitchen-sink': { fs: { read: [outside] } } } });
      await withHost([granted], async ({ host }) => {
        await host.load(fixtureDir('kitchen-sink'));
        const read = await host.callTool('kitchen-sink', 'read_file', { path: secret });
        expect(read.content).toEqual([{ type: 'text', text: 'granted' }]);
      });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
