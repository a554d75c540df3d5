import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadManifest } from '@clawdesk/manifest';
import { fileURLToPath } from 'node:url';
import type { ProcessRuntime } from '../src/options.js';
import { opts, REPO_ROOT, start } from './support/plugins.js';

const README = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const GREETER = path.join(REPO_ROOT, 'examples/process-greeter');

describe('the README example', () => {
  test('its TypeScript plugin is examples/process-greeter/plugin.ts, word for word', () => {
    const snippet = /```ts\n([\s\S]*?)```/.exec(README)?.[1];
    expect(snippet).toBe(readFileSync(path.join(GREETER, 'plugin.ts'), 'utf8'));
  });

  test.each(['node', 'bun', 'deno'] as ProcessRuntime[])('the TypeScript plugin runs on %s without a build step', async (runtime) => {
    const { instance, ctx, close } = await start({ ...(await loadManifest(GREETER)), runtime });
    try {
      const result = await instance.callTool('greet', { name: 'Ada' }, opts());
      expect(result.structuredContent).toEqual({ greeting: 'Good day, Ada.' });
      expect(ctx.logger.entries).toContainEqual({ level: 'info', message: 'greeting', fields: { name: 'Ada' } });
    } finally {
      await close();
    }
  });
});
