import { stringFlag, type Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { installDir, withHost } from '../host.js';

export const install: Command = {
  name: 'install',
  usage: 'install <spec> [--mcp [-- <args…>]]',
  summary: 'install a plugin package (npm:<name>[@<range>] or file:<tarball>) into the plugins dir and load it, with progress on stderr',
  examples: [
    'clawdesk install npm:@ollama/openclaw-web-search@^0.2 --dir ./plugins',
    'clawdesk install file:./my-plugin-1.0.0.tgz --dir ./plugins',
    "clawdesk install npm:@modelcontextprotocol/server-filesystem --mcp --name files -- '${dataDir}'",
  ],
  options: { registry: { type: 'string' }, mcp: { type: 'boolean' }, name: { type: 'string' }, bin: { type: 'string' } },
  help: [
    '--registry <url>     npm registry for npm: specs (default https://registry.npmjs.org/)',
    '--mcp                the package is an MCP stdio server without a clawdesk manifest: write',
    '                     plugin.json5 from its package.json "bin"; arguments after -- follow the',
    '                     entry (${pluginDir} and ${dataDir} expanded at start)',
    '--name <name>        with --mcp: the plugin name (default: the package name without its scope)',
    '--bin <name>         with --mcp: which bin entry, when the package has several',
  ],
  async run({ args, flags, out, signal }) {
    const [spec, ...serverArgs] = args;
    if (!spec) throw new UsageError('install needs a package spec: clawdesk install npm:<name>[@<range>] or file:<tarball>');
    const mcp = flags.mcp === true;
    const name = stringFlag(flags, 'name');
    const bin = stringFlag(flags, 'bin');
    if (!mcp && (serverArgs.length || name !== undefined || bin !== undefined)) {
      throw new UsageError('server arguments, --name and --bin need --mcp: clawdesk install <spec> --mcp [--name <name>] -- <args…>');
    }
    const dir = await installDir(stringFlag(flags, 'dir'));
    const registry = stringFlag(flags, 'registry');
    return withHost({ dirs: [dir], dataDir: stringFlag(flags, 'data-dir'), configFile: stringFlag(flags, 'config') }, async ({ host }) => {
      let installed: { package: string; cached: boolean; replaced: string | undefined } | undefined;
      host.on('installed', (e) => (installed = e));
      const started = Date.now();
      const entry = await host.install(spec, {
        dir,
        signal,
        ...(registry === undefined ? {} : { registry }),
        ...(mcp ? { mcp: { args: serverArgs, ...(name === undefined ? {} : { name }), ...(bin === undefined ? {} : { bin }) } } : {}),
        onProgress: (p) => out.note(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${p.phase}${p.detail ? `: ${p.detail}` : ''}`),
      });
      const m = entry.manifest;
      out.result({
        name: entry.name,
        version: m.version,
        package: installed?.package,
        dir: m.dir,
        state: entry.state,
        sandbox: m.sandbox,
        tools: entry.tools.map((t) => t.name),
        cached: installed?.cached ?? false,
        replaced: installed?.replaced,
      });
      const replaced = installed?.replaced ? ` (replacing ${installed.replaced})` : '';
      out.line(`${out.good('✓')} installed ${entry.name}@${m.version}${replaced} into ${m.dir}: ${m.sandbox} sandbox, ${entry.state}, tools: ${entry.tools.map((t) => t.name).join(', ') || '-'}`);
      return EXIT.OK;
    });
  },
};
