import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ToolResult } from '@clawdesk/sandbox';
import { createOpenClawDriver } from '../../src/driver.js';
import { REAL_PLUGINS, startFakeOllama, withHost } from '../support/plugins.js';

const text = (r: ToolResult) => (r.content[0] as { text: string }).text;

describe('@ollama/openclaw-web-search, unmodified from node_modules (TypeScript entry)', () => {
  const driver = () => createOpenClawDriver({ permissions: { 'openclaw-web-search': { network: { allowedHosts: ['127.0.0.1:11434'] } } } });

  test('loads with both tools and their JSON Schemas, and declares the granted network host', async () => {
    await withHost([driver()], async ({ host }) => {
      const entry = await host.load(REAL_PLUGINS.ollama);
      expect(entry.state).toBe('active');
      expect(entry.tools).toEqual([
        {
          name: 'ollama_web_search',
          description: "Search the web for current information using Ollama's search API.",
          inputSchema: { type: 'object', properties: { query: { type: 'string', description: 'The search query' } }, required: ['query'] },
        },
        {
          name: 'ollama_web_fetch',
          description: 'Fetch the content of a web page by URL.',
          inputSchema: { type: 'object', properties: { url: { type: 'string', description: 'The URL to fetch' } }, required: ['url'] },
        },
      ]);
      const inspection = host.inspect('openclaw-web-search');
      expect(inspection.driver).toBe('@clawdesk/openclaw');
      // In the OS sandbox (this machine has it) the granted host is all the plugin reaches.
      expect(inspection.enforcement.network).toBe('enforced');
      expect(inspection.enforcement.fsRead).toBe('enforced');
    });
  });

  test('ollama_web_search called through the host returns the results of the (fake) Ollama server', async () => {
    const ollama = await startFakeOllama();
    try {
      await withHost([driver()], async ({ host }) => {
        await host.load(REAL_PLUGINS.ollama);
        const result = await host.callTool('openclaw-web-search', 'ollama_web_search', { query: 'sandboxed plugins' });
        expect(result.isError).toBeUndefined();
        expect(text(result)).toBe(
          '1. clawdesk\n   https://example.com/clawdesk\n   About sandboxed plugins\n\n2. OpenClaw\n   https://example.com/openclaw\n   Plugins',
        );
        expect(ollama.requests).toEqual([{ path: '/api/experimental/web_search', body: { query: 'sandboxed plugins', max_results: 5 } }]);

        // The plugin's own error (a 404 from the server) is a tool-level error, not a crash.
        const failed = await host.callTool('openclaw-web-search', 'ollama_web_fetch', { url: 'https://example.com' });
        expect(failed.isError).toBe(true);
        expect(text(failed)).toBe('Web fetch failed (404): {}');
      });
    } finally {
      await ollama.close();
    }
  });

  test('the host rejects arguments that break the tool schema before the plugin sees them', async () => {
    await withHost([driver()], async ({ host }) => {
      await host.load(REAL_PLUGINS.ollama);
      await expect(host.callTool('openclaw-web-search', 'ollama_web_search', {})).rejects.toMatchObject({
        code: 'INVALID_ARGUMENTS',
        problems: [{ path: 'query', message: "must have required property 'query'" }],
      });
    });
  });
});

describe('@happycastle/oh-my-openclaw, unmodified from node_modules (JavaScript entry)', () => {
  test('loads with its tools and hooks, and reports commands, CLI and gateway methods as unsupported', async () => {
    await withHost([createOpenClawDriver()], async ({ host, logger }) => {
      const entry = await host.load(REAL_PLUGINS.ohMyOpenClaw);
      expect(entry.tools.map((t) => t.name).sort()).toEqual([
        'omo_delegate',
        'omoc_checkpoint',
        'omoc_delegate',
        'omoc_look_at',
        'omoc_todo_create',
        'omoc_todo_list',
        'omoc_todo_update',
        'omoc_web_search',
      ]);
      // TypeBox schemas arrive as plain JSON Schema.
      expect(entry.tools.find((t) => t.name === 'omoc_todo_create')?.inputSchema).toMatchObject({
        type: 'object',
        required: ['content'],
        properties: { content: { type: 'string', description: 'What needs to be done' } },
      });
      expect([...entry.hooks].sort()).toEqual([
        'agent:bootstrap',
        'agent_end',
        'before_prompt_build',
        'before_tool_call',
        'gateway:startup',
        'message:received',
        'message:sent',
        'session_end',
        'session_start',
        'subagent_ended',
        'tool_result_persist',
      ]);
      // One warning for one fact: the host's, from describe().unsupported — the runner's own report is not passed on.
      const warnings = logger.entries.filter((e) => e.level === 'warn' && /not support/.test(e.message));
      expect(warnings.map((e) => e.message)).toEqual([
        'ignored, not supported by this host: command "ralph_loop", command "ralph_stop", command "omoc_status", command "omoc_health", command "omoc_config", command "todos", command "omoc", cli "omoc-setup", gateway-method "oh-my-openclaw.status"',
      ]);
      expect(host.inspect('oh-my-openclaw').unsupported).toEqual([
        { kind: 'command', name: 'ralph_loop' },
        { kind: 'command', name: 'ralph_stop' },
        { kind: 'command', name: 'omoc_status' },
        { kind: 'command', name: 'omoc_health' },
        { kind: 'command', name: 'omoc_config' },
        { kind: 'command', name: 'todos' },
        { kind: 'command', name: 'omoc' },
        { kind: 'cli', name: 'omoc-setup' },
        { kind: 'gateway-method', name: 'oh-my-openclaw.status' },
      ]);
      expect(logger.entries.some((e) => e.message.includes('Plugin initialization complete'))).toBe(true);
    });
  });

  test('its todo tools keep state across calls, and its hooks answer dispatches', async () => {
    await withHost([createOpenClawDriver()], async ({ host }) => {
      await host.load(REAL_PLUGINS.ohMyOpenClaw);
      const created = await host.callTool('oh-my-openclaw', 'omoc_todo_create', { content: 'write the tests', priority: 'high' });
      expect(JSON.parse(text(created))).toMatchObject({ todo: { id: 'todo-1', content: 'write the tests', status: 'pending', priority: 'high' } });
      const listed = await host.callTool('oh-my-openclaw', 'omoc_todo_list', {});
      expect(text(listed)).toContain('write the tests');

      // An internal hook (registerHook) that rewrites the payload: the comment checker flags narrating comments.
      const [persist] = await host.dispatch('tool_result_persist', { tool: 'write', file: 'a.ts', content: '// Import the helpers\nconst a = 1;' });
      expect(persist?.ok).toBe(true);
      const rewritten = (persist as { value: { content: string; file: string } }).value;
      expect(rewritten.file).toBe('a.ts');
      expect(rewritten.content).toContain('[OMOC Comment Checker] Found 1 AI slop comment(s)');

      // A typed hook (api.on) with a context: the spawn guard only cares about sessions_spawn, so it answers nothing.
      const [guard] = await host.dispatch('before_tool_call', { event: { toolName: 'read', params: {} }, context: { sessionKey: 's1' } });
      expect(guard).toEqual({ plugin: 'oh-my-openclaw', ok: true, value: null });

      // Several typed handlers of one hook merge: the guardrail injector always adds its context.
      const [prompt] = await host.dispatch('before_prompt_build', { event: { prompt: 'hello' }, context: { sessionKey: 's1' } });
      expect(prompt?.ok).toBe(true);
      expect(resultValueOf(prompt).prependContext).toContain('Anti-Hallucination Rules');
    });
  });

  test('its services run with the data dir as working directory and save their state on unload', async () => {
    await withHost([createOpenClawDriver()], async ({ host, dataDir }) => {
      await host.load(REAL_PLUGINS.ohMyOpenClaw);
      await host.unload('oh-my-openclaw');
      // The Ralph loop service writes its state to the configSchema's default checkpoint_dir, relative to the data dir.
      const state = path.join(dataDir, 'oh-my-openclaw', 'workspace', 'checkpoints', 'ralph-loop-state.json');
      expect(existsSync(state)).toBe(true);
      expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ active: false });
    });
  });
});

function resultValueOf(outcome: unknown): Record<string, string> {
  return (outcome as { value: Record<string, string> }).value;
}
