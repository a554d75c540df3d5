import path from 'node:path';
import { stringFlag, type Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { SCAFFOLD_RUNTIMES, type ScaffoldRuntime } from '../scaffold/templates.js';
import { scaffoldVersions, writeScaffold } from '../scaffold/write.js';

export const init: Command = {
  name: 'init',
  usage: 'init <name> [--runtime node|bun|deno|wasm]',
  summary: 'scaffold a plugin: manifest, a typed tool, a test on @clawdesk/testing and package.json scripts (default runtime: node)',
  examples: ['clawdesk init my-plugin', 'clawdesk init my-wasm-plugin --runtime wasm', 'clawdesk init weather --dir ./plugins'],
  options: { runtime: { type: 'string', short: 'r' } },
  help: [
    '--runtime, -r <rt>   node, bun or deno (a TypeScript process plugin) or wasm (AssemblyScript); default node',
    '                     (--dir is the parent directory of the new plugin; default the working directory)',
  ],
  async run({ args, flags, out }) {
    const ref = args[0];
    if (!ref) throw new UsageError('init needs a plugin name: clawdesk init <name> [--runtime node|bun|deno|wasm]');
    const runtime = (stringFlag(flags, 'runtime') ?? 'node') as ScaffoldRuntime;
    if (!SCAFFOLD_RUNTIMES.includes(runtime)) throw new UsageError(`--runtime must be one of ${SCAFFOLD_RUNTIMES.join(', ')}, got "${runtime}"`);
    const dir = path.resolve(stringFlag(flags, 'dir') ?? '.', ref);
    const made = await writeScaffold(dir, runtime, scaffoldVersions());
    const rel = path.relative(process.cwd(), dir) || '.';
    const next = [
      `cd ${rel}`,
      'npm install',
      ...(runtime === 'wasm' ? ['npm run build'] : []),
      `npx clawdesk call . greet '{"name":"Ada"}'`,
      'npm test',
      'npm run dev',
    ];
    out.result({ ...made, next });
    out.line(`${out.good('✓')} created ${made.name} (${runtime === 'wasm' ? 'wasm, AssemblyScript' : `process, ${runtime}`}) in ${dir}`);
    for (const f of made.files) out.line(out.dim(`  ${f}`));
    out.line('');
    out.line('Next:');
    for (const n of next) out.line(`  ${n}`);
    return EXIT.OK;
  },
};
