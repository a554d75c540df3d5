import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import { PERMISSION_NAMES } from '@clawdesk/sandbox';
import { stringFlag, type Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { loadOne, lookupDirs, withHost } from '../host.js';
import { table, type Output } from '../output.js';

export const inspect: Command = {
  name: 'inspect',
  usage: 'inspect <plugin>',
  summary:
    'load a plugin (name or directory) and show its manifest, driver, which permissions are enforced, tools with schemas, hooks and what the host ignores',
  examples: ['clawdesk inspect weather-wasm', 'clawdesk inspect ./node_modules/@happycastle/oh-my-openclaw --json'],
  async run({ args, flags, out, defaultDir }) {
    const ref = args[0];
    if (!ref) throw new UsageError('inspect needs a plugin name or directory: clawdesk inspect <plugin>');
    const dataDir = stringFlag(flags, 'data-dir');
    return withHost({ dirs: lookupDirs(ref, stringFlag(flags, 'dir'), defaultDir), dataDir, configFile: stringFlag(flags, 'config') }, async ({ host, warnings }) => {
      const name = await loadOne(host, ref);
      const info = host.inspect(name);
      const { entry, driver, enforcement, unsupported } = info;
      const m = entry.manifest;
      const declared = declaredPermissions(m);
      const ownWarnings = warnings.filter((w) => w.plugin === undefined || w.plugin === name).map((w) => w.message);
      out.result({
        name: m.name,
        version: m.version,
        description: m.description,
        state: entry.state,
        format: m.format,
        manifestFile: m.manifestFile,
        sandbox: m.sandbox,
        runtime: m.runtime,
        driver,
        dir: m.dir,
        entry: m.entry,
        dataDir: info.dataDir,
        timeoutMs: m.timeoutMs,
        minCallIntervalMs: m.minCallIntervalMs,
        permissions: m.permissions,
        enforcement,
        tools: entry.tools,
        hooks: entry.hooks,
        capabilities: entry.capabilities,
        channels: entry.channels,
        slots: entry.slots,
        unsupported,
        warnings: ownWarnings,
      });
      out.line(`${out.bold(`${m.name}@${m.version}`)}  ${out.dim(m.description)}`);
      out.line(
        table([
          ['state', entry.state],
          ['manifest', `${path.basename(m.manifestFile)} (${m.format})`],
          ['sandbox', `${m.sandbox} (${m.runtime}) via ${driver}`],
          ['dir', m.dir],
          ['entry', m.entry],
          ...(dataDir ? [['data dir', info.dataDir]] : []),
          ['timeout', `${m.timeoutMs} ms`],
          ['min call interval', `${m.minCallIntervalMs} ms`],
          ['capabilities', entry.capabilities.join(', ') || '-'],
          ...(entry.channels.length ? [['channels', entry.channels.join(', ')]] : []),
          ...(entry.slots.length ? [['slots', entry.slots.join(', ')]] : []),
        ]),
      );
      section(out, `Permissions (declared, and how ${driver} enforces them)`);
      out.line(
        table(
          PERMISSION_NAMES.map((key) => {
            const level = enforcement[key];
            const reason = enforcement.reasons?.[key];
            return [
              `  ${key}`,
              declared[key] ?? '',
              level === 'enforced' ? out.good('enforced') : level === 'partial' ? out.warn('partial') : out.bad('not enforced'),
              ...(reason ? [out.dim(reason)] : []),
            ];
          }),
        ),
      );
      section(out, `Tools (${entry.tools.length})`);
      for (const t of entry.tools) {
        out.line(`  ${out.bold(t.name)}  ${t.description}`);
        out.line(out.dim(`    input: ${t.inputSchema ? JSON.stringify(t.inputSchema) : 'any'}`));
      }
      if (entry.hooks.length) {
        section(out, `Hooks (${entry.hooks.length})`);
        out.line(`  ${entry.hooks.join(', ')}`);
      }
      if (unsupported.length) {
        section(out, `Not supported by this host (${unsupported.length}): registered by the plugin, ignored`);
        const byKind = new Map<string, string[]>();
        for (const u of unsupported) byKind.set(u.kind, [...(byKind.get(u.kind) ?? []), u.name]);
        out.line(table([...byKind].map(([kind, names]) => [`  ${out.warn(kind)}`, names.join(', ')])));
      }
      // The host's warning about those registrations says what the section above shows: once is enough.
      const otherWarnings = unsupported.length ? ownWarnings.filter((w) => !w.startsWith('ignored, not supported by this host:')) : ownWarnings;
      if (otherWarnings.length) {
        section(out, 'Warnings at load');
        for (const w of otherWarnings) out.line(`  ${out.warn('!')} ${w}`);
      }
      return EXIT.OK;
    });
  },
};

function section(out: Output, title: string): void {
  out.line();
  out.line(out.bold(title));
}

/** What the manifest asks for, per row of the driver's `PermissionReport`. */
function declaredPermissions(m: PluginManifest): Record<string, string> {
  const p = m.permissions;
  return {
    network: p.network.allowedHosts.join(', ') || 'none',
    fsRead: p.fs.read.join(', ') || 'plugin dir only',
    fsWrite: p.fs.write.join(', ') || 'data dir only',
    env: p.env.join(', ') || 'none',
    memory: `${p.memoryMb} MB`,
    timeout: `${m.timeoutMs} ms`,
  };
}
