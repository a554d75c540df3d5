import { stringFlag, type Command } from '../command.js';
import { EXIT } from '../errors.js';
import { pluginsDir } from '../host.js';
import { table } from '../output.js';

export const list: Command = {
  name: 'list',
  usage: 'list [dir]',
  summary: 'list the plugins in a directory (default: ./plugins); exit 1 if a manifest is broken',
  examples: ['clawdesk list', 'clawdesk list ./plugins --json'],
  async run({ args, flags, out, defaultDir }) {
    const dir = pluginsDir(args[0] ?? stringFlag(flags, 'dir'), defaultDir);
    const { scanPlugins } = await import('@clawdesk/manifest');
    const { plugins, problems } = await scanPlugins(dir);
    out.result({
      dir,
      plugins: plugins.map((m) => ({
        name: m.name,
        version: m.version,
        sandbox: m.sandbox,
        runtime: m.runtime,
        format: m.format,
        tools: m.tools.map((t) => t.name),
        dir: m.dir,
      })),
      problems: problems.map((p) => ({ dir: p.dir, message: p.message })),
    });
    out.line(out.bold(`${plugins.length} plugin(s) in ${dir}`));
    if (plugins.length) {
      out.line(
        table([
          ['NAME', 'VERSION', 'SANDBOX', 'RUNTIME', 'TOOLS'].map((h) => out.dim(h)),
          ...plugins.map((m) => [m.name, m.version, m.sandbox, m.runtime, m.tools.map((t) => t.name).join(', ') || '-']),
        ]),
      );
    }
    for (const p of problems) out.line(`${out.bad('✗')} ${p.dir}: ${p.message}`);
    return problems.length ? EXIT.FAILURE : EXIT.OK;
  },
};
