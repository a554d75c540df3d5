import { parseManifest } from '@clawdesk/manifest';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createOpenClawDriver } from '../../src/driver.js';
import { fixtureDir, loadFixture, withHost } from '../support/plugins.js';

describe('createOpenClawDriver', () => {
  test('supports OpenClaw manifests on node and nothing else', async () => {
    const driver = createOpenClawDriver();
    expect(driver).toMatchObject({ kind: 'process', packageName: '@clawdesk/openclaw' });
    const openclaw = await loadFixture('conformance');
    expect(driver.supports(openclaw)).toBe(true);
    expect(driver.supports({ ...openclaw, runtime: 'deno' })).toBe(false);
    const native = parseManifest('{ name: "n", version: "1.0.0", description: "d", author: "a", runtime: "node" }', {
      file: '/p/plugin.json5',
      format: 'json5',
      dir: '/p',
    });
    expect(driver.supports(native)).toBe(false);
  });

  test('refuses to instantiate a manifest it does not support', async () => {
    const manifest = { ...(await loadFixture('conformance')), format: 'json5' as const };
    const ctx = createTestContext(manifest);
    try {
      await expect(createOpenClawDriver().instantiate(manifest, ctx)).rejects.toMatchObject({ code: 'LOAD_FAILED' });
    } finally {
      ctx.cleanup();
    }
  });

  test('reports what the process sandbox enforces: everything inside the OS sandbox, no network on Node without it', async () => {
    const manifest = await loadFixture('conformance');
    const permissions = { 'openclaw-conformance': { network: { allowedHosts: ['example.com'] } } };
    const sandboxed = createOpenClawDriver({ permissions }).enforcement(manifest);
    expect(sandboxed).toMatchObject({ network: 'enforced', fsRead: 'enforced', fsWrite: 'enforced', env: 'enforced', memory: 'enforced', timeout: 'enforced' });
    expect(sandboxed.reasons?.network).toBe('network namespace + egress proxy admitting only permissions.network.allowedHosts');
    const { reasons, ...plain } = createOpenClawDriver({ permissions, process: { isolation: 'off' } }).enforcement(manifest);
    expect(plain).toEqual({
      network: 'not-enforced',
      fsRead: 'enforced',
      fsWrite: 'enforced',
      env: 'enforced',
      memory: 'partial',
      timeout: 'enforced',
    });
    expect(reasons?.network).toContain('Node has no network permission');
  });

  test('a register(api) that never returns is stopped by the start budget and the plugin fails to load', async () => {
    await withHost([createOpenClawDriver({ process: { startTimeoutMs: 1_500 } })], async ({ host }) => {
      const started = performance.now();
      await expect(host.load(fixtureDir('hostile/register-spins'))).rejects.toMatchObject({
        code: 'LOAD_FAILED',
        message: 'plugin "register-spins" failed to load: did not finish the handshake (initialize, tools/list) within 1500 ms; raise startTimeoutMs (in its manifest, createHost or createProcessDriver options) if it starts slowly',
      });
      expect(performance.now() - started).toBeLessThan(10_000);
    });
  });
});
