import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { permissionGaps } from '@clawdesk/sandbox';
import { ADAPTERS } from '../../src/runtime/adapters.js';
import { grantsFor } from '../../src/runtime/grants.js';
import {
  buildDarwinProfile,
  decideDarwin,
  probeDarwin,
  sbplString,
  SANDBOX_EXEC,
  type DarwinProbeResults,
  type SpawnSyncLike,
} from '../../src/isolation/darwin.js';
import { probeIsolation } from '../../src/isolation/detect.js';
import { unixSocketEgress } from '../../src/isolation/egress.js';
import { OsIsolation } from '../../src/isolation/index.js';
import { fixtureManifest } from '../support/plugins.js';

// macOS cannot run here: the profile is a pure function, and the decision is fed the probe's results.
const id = (p: string) => p;

describe('the sandbox-exec profile', () => {
  const profile = (spec: Parameters<typeof buildDarwinProfile>[0], resolve = id) => buildDarwinProfile(spec, {}, resolve);

  test('denies by default, reads the grants, writes the writable ones, and has no network without a proxy port', () => {
    const text = profile({ readOnly: ['/plugins/echo', '/opt/node/bin'], readWrite: ['/data/echo'] });
    expect(text.startsWith('(version 1)\n(deny default)\n')).toBe(true);
    expect(text).toContain('(allow file-read* (subpath "/plugins/echo") (subpath "/opt/node/bin"))');
    expect(text).toContain('(allow file-read* file-write* (subpath "/data/echo"))');
    expect(text).not.toMatch(/network/);
    // The grants' ancestors show their metadata only (so paths resolve), never their contents.
    expect(text).toContain('(allow file-read-metadata (literal "/") (literal "/data") (literal "/opt") (literal "/opt/node") (literal "/plugins"))');
    // Nothing of any user's home, and signals reach only the sandbox's own processes.
    expect(text).not.toMatch(/"\/Users|"\/home|"\/private\/var\/folders/);
    expect(text).toContain('(allow signal (target same-sandbox))');
  });

  test('with a proxy port, the one connection allowed is to that loopback port', () => {
    const text = profile({ readOnly: [], readWrite: [], proxyPort: 51234 });
    expect(text.match(/network/g)).toHaveLength(1);
    expect(text).toContain('(allow network-outbound (remote ip "localhost:51234"))');
  });

  test('a path granted writable is not listed read-only as well', () => {
    const text = profile({ readOnly: ['/p', '/d'], readWrite: ['/d'] });
    expect(text).toContain('(allow file-read* (subpath "/p"))');
    expect(text).toContain('(allow file-read* file-write* (subpath "/d"))');
  });

  test('quotes and backslashes in paths are escaped, parentheses stay inside the string, control characters are refused', () => {
    expect(sbplString('/a "b" \\c (d)')).toBe('"/a \\"b\\" \\\\c (d)"');
    const text = profile({ readOnly: ['/x/we"ird) (allow default'], readWrite: [] });
    expect(text).toContain('(subpath "/x/we\\"ird) (allow default")');
    // The injected text stays one string: no rule other than the intended ones appears.
    expect(text).not.toMatch(/^\(allow default/m);
    expect(() => profile({ readOnly: ['/x/line\nbreak'], readWrite: [] })).toThrow('the macOS sandbox cannot express the path "/x/line\\nbreak" (control character)');
    expect(() => profile({ readOnly: ['relative/dir'], readWrite: [] })).toThrow('relative path');
  });

  test('paths are the resolved ones: macOS checks /private/tmp, not the /tmp link', () => {
    const links: Record<string, string> = { '/tmp/plugin': '/private/tmp/plugin', '/var/data': '/private/var/data' };
    const text = profile({ readOnly: ['/tmp/plugin'], readWrite: ['/var/data'] }, (p) => links[p] ?? p);
    expect(text).toContain('(subpath "/private/tmp/plugin")');
    expect(text).toContain('(allow file-read* file-write* (subpath "/private/var/data"))');
    expect(text).not.toContain('"/tmp/plugin"');
  });
});

const confirmed: DarwinProbeResults = {
  sandboxExec: SANDBOX_EXEC,
  runtime: { ok: true, detail: 'node started (EPERM)' },
  files: { ok: true, detail: 'an ungranted file was denied' },
  network: { ok: true, detail: 'a loopback connection was denied' },
};

describe('deciding on macOS from what the self-probe saw', () => {
  test('used only when sandbox-exec exists, a runtime starts inside and an ungranted file was denied', () => {
    expect(decideDarwin(confirmed)).toEqual({ available: true, sandboxExec: SANDBOX_EXEC, network: true });
    expect(decideDarwin({ ...confirmed, sandboxExec: undefined })).toMatchObject({ available: false, reason: 'macOS: /usr/bin/sandbox-exec not found' });
    expect(decideDarwin({ ...confirmed, runtime: { ok: false, detail: 'dyld: Library not loaded' } })).toMatchObject({
      available: false,
      reason: 'macOS: a runtime does not start inside the sandbox-exec profile (dyld: Library not loaded)',
    });
    expect(decideDarwin({ ...confirmed, files: { ok: false, detail: 'an ungranted file was read' } })).toMatchObject({
      available: false,
      reason: 'macOS: the sandbox-exec profile did not deny a file outside the grants (an ungranted file was read)',
    });
  });

  test('the network is claimed only when a loopback connection was seen denied', () => {
    expect(decideDarwin({ ...confirmed, network: { ok: false, detail: 'a loopback connection ended with ECONNREFUSED' } })).toEqual({
      available: true,
      sandboxExec: SANDBOX_EXEC,
      network: false,
      networkReason: 'the sandbox-exec profile did not deny a loopback connection (a loopback connection ended with ECONNREFUSED)',
    });
  });

  test('the probe runs node and cat under sandbox-exec and reads their outcomes', () => {
    const calls: string[][] = [];
    const seatbelt = (outcome: { node: string; hidden: 'denied' | 'read' }): SpawnSyncLike => (file, args) => {
      calls.push([file, ...args]);
      expect(file).toBe(SANDBOX_EXEC);
      expect(args[0]).toBe('-p');
      const [, profile, command, ...rest] = args;
      expect(profile).toMatch(/^\(version 1\)\n\(deny default\)/);
      if (command === process.execPath) return { status: 0, stdout: outcome.node, stderr: '', error: undefined };
      const target = rest[0]!;
      // The profile grants the probe's `granted` dir and not its `hidden` one.
      const dir = `(subpath ${sbplString(path.dirname(target))})`;
      if (target.endsWith('a.txt')) {
        expect(profile).toContain(dir);
        return { status: 0, stdout: 'visible', stderr: '', error: undefined };
      }
      expect(profile).not.toContain(dir);
      return outcome.hidden === 'denied'
        ? { status: 1, stdout: '', stderr: `cat: ${target}: Operation not permitted\n`, error: undefined }
        : { status: 0, stdout: 'secret', stderr: '', error: undefined };
    };
    expect(probeDarwin(seatbelt({ node: 'EPERM', hidden: 'denied' }), () => true)).toEqual(confirmed);
    expect(calls.map((c) => c[3])).toEqual([process.execPath, '/bin/cat', '/bin/cat']);
    const open = probeDarwin(seatbelt({ node: 'ECONNREFUSED', hidden: 'read' }), () => true);
    expect(open.network).toEqual({ ok: false, detail: 'a loopback connection ended with ECONNREFUSED' });
    expect(open.files).toEqual({ ok: false, detail: 'an ungranted file was read' });
    expect(probeDarwin(seatbelt({ node: 'EPERM', hidden: 'denied' }), () => false).sandboxExec).toBeUndefined();
  });

  test('probeIsolation on darwin reports what the decision says', () => {
    expect(probeIsolation('darwin', '', () => confirmed)).toEqual({ available: true, platform: 'darwin', sandboxExec: SANDBOX_EXEC, network: true });
    expect(probeIsolation('darwin', '', () => ({ ...confirmed, sandboxExec: undefined }))).toMatchObject({ available: false, platform: 'darwin' });
  });
});

describe('the driver on a macOS machine (injected probe)', () => {
  const m = fixtureManifest('os-escape', { permissions: { network: { allowedHosts: ['api.example.com'] }, memoryMb: 128 } });
  const offline = fixtureManifest('os-escape', { permissions: { network: { allowedHosts: [] } } });
  const isolation = (results: DarwinProbeResults, mode: 'prefer' | 'require' = 'prefer') =>
    new OsIsolation({ mode, egress: unixSocketEgress(), probe: () => probeIsolation('darwin', '', () => results) });
  const runtimeReport = (manifest: typeof m) => ADAPTERS.node.enforcement(grantsFor(manifest, '/data'));
  const request = (manifest: typeof m) => {
    const ctx = createTestContext(manifest);
    return {
      manifest,
      runtime: 'node' as const,
      launch: { file: process.execPath, args: ['--permission', 'plugin.mjs'], cwd: manifest.dir, env: { PATH: '/usr/bin:/bin' } },
      readOnly: [manifest.dir],
      readWrite: [ctx.dataDir],
      logger: ctx.logger,
    };
  };

  test('files enforced; network only as confirmed; env, memory and descendants honestly partial', () => {
    const report = isolation(confirmed).report(m, runtimeReport(m))!;
    expect(report).toMatchObject({ network: 'enforced', fsRead: 'enforced', fsWrite: 'enforced', env: 'partial', memory: 'partial' });
    expect(report.reasons?.network).toBe('sandbox-exec profile: only the egress proxy on loopback, which admits only permissions.network.allowedHosts');
    expect(report.reasons?.memory).toMatch(/^no cgroups on macOS: .*; descendants are killed with the process group on unload; one that calls setsid or double-forks out of it outlives the plugin/);
    expect(isolation(confirmed).report(offline, runtimeReport(offline))!.reasons?.network).toBe('sandbox-exec profile: no network at all');
    const unconfirmed = isolation({ ...confirmed, network: { ok: false, detail: 'a loopback connection ended with ECONNREFUSED' } }).report(m, runtimeReport(m))!;
    expect(permissionGaps(unconfirmed).find((g) => g.permission === 'network')).toEqual({
      permission: 'network',
      level: 'not-enforced',
      reason: 'no OS network sandbox: the sandbox-exec profile did not deny a loopback connection (a loopback connection ended with ECONNREFUSED)',
    });
  });

  test("without a confirmed sandbox: no OS report, and 'require' refuses with what is missing", () => {
    const missing = { ...confirmed, sandboxExec: undefined };
    expect(isolation(missing).report(m, runtimeReport(m))).toBeUndefined();
    expect(isolation(missing).unavailableReason()).toBe('no OS isolation: macOS: /usr/bin/sandbox-exec not found');
    expect(() => isolation(missing, 'require').forPlugin(request(m), { plugin: 'os-escape', driver: 'process' })).toThrow(
      expect.objectContaining({ code: 'ISOLATION_UNAVAILABLE' }),
    );
  });

  test('a start runs the runtime under sandbox-exec with a private TMPDIR and its own proxy port, cleaned up after', async () => {
    const spawn = isolation(confirmed).forPlugin(request(m), { plugin: 'os-escape' })!.prepare();
    const { file, args, env } = spawn.launch;
    expect(file).toBe(SANDBOX_EXEC);
    expect(args.slice(2)).toEqual([process.execPath, '--permission', 'plugin.mjs']);
    const port = Number(/^http:\/\/127\.0\.0\.1:(\d+)$/.exec(env.HTTPS_PROXY!)?.[1]);
    expect(args[1]).toContain(`(allow network-outbound (remote ip "localhost:${port}"))`);
    expect(env).toMatchObject({ NODE_USE_ENV_PROXY: '1', NO_PROXY: '' });
    expect(existsSync(env.TMPDIR!)).toBe(true);
    expect(args[1]!.split('\n').find((line) => line.startsWith('(allow file-read* file-write*'))).toContain(`(subpath ${sbplString(env.TMPDIR!)})`);
    // The proxy listens on that port, on loopback only.
    await new Promise<void>((resolve, reject) => createConnection({ port, host: '127.0.0.1' }, resolve).once('error', reject).unref());
    await spawn.cleanup();
    expect(existsSync(env.TMPDIR!)).toBe(false);
    const offlineSpawn = isolation(confirmed).forPlugin(request(offline), { plugin: 'os-escape' })!.prepare();
    expect(offlineSpawn.launch.args[1]).not.toMatch(/network/);
    expect(offlineSpawn.launch.env.HTTP_PROXY).toBeUndefined();
    await offlineSpawn.cleanup();
  });
});
