import type { ToolDef } from '@clawdesk/manifest';
import { NOTHING_ENFORCED, type PluginDescription, type SandboxDriver } from '@clawdesk/sandbox';
import { manifest, withHost } from './helpers.js';

/** A driver whose one instance can announce new tools, as an MCP server does with tools/list_changed. */
function announcingDriver() {
  const listeners = new Set<(d: PluginDescription) => void>();
  let tools: ToolDef[] = [{ name: 'first', description: 'there from the start' }];
  const driver: SandboxDriver = {
    kind: 'native',
    packageName: 'test',
    supports: () => true,
    enforcement: () => NOTHING_ENFORCED,
    instantiate: async () => ({
      describe: async () => ({ tools, hooks: [] }),
      callTool: async (name) => ({ content: [{ type: 'text', text: `called ${name}` }] }),
      dispatch: async () => null,
      dispose: async () => {},
      onExit: () => () => {},
      onDescriptionChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    }),
  };
  const announce = (next: ToolDef[]) => {
    tools = next;
    for (const l of [...listeners]) l({ tools, hooks: [] });
  };
  return { driver, announce, listeners };
}

describe('an instance announcing a new description', () => {
  test('updates the registry and the argument validators; unloading unsubscribes', async () => {
    const { driver, announce, listeners } = announcingDriver();
    await withHost({ drivers: [driver] }, async ({ host }) => {
      await host.load(manifest('dyn'));
      const changes: string[][] = [];
      host.registry.on('tools', (c) => changes.push(c.tools));

      announce([
        { name: 'first', description: 'there from the start' },
        { name: 'later', description: 'added while running', inputSchema: { type: 'object', required: ['x'] } },
      ]);
      expect(host.get('dyn')?.tools.map((t) => t.name)).toEqual(['first', 'later']);
      expect(changes).toEqual([['dyn.first', 'dyn.later']]);
      expect(await host.callTool('dyn', 'later', { x: 1 })).toEqual({ content: [{ type: 'text', text: 'called later' }] });
      await expect(host.callTool('dyn', 'later', {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENTS' });

      // A schema the host cannot compile changes nothing.
      announce([{ name: 'broken', description: '', inputSchema: { type: 'no-such-type' } }]);
      expect(host.get('dyn')?.tools.map((t) => t.name)).toEqual(['first', 'later']);

      await host.unload('dyn');
      expect(listeners.size).toBe(0);
    });
  });
});
