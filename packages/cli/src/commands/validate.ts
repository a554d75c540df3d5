import path from 'node:path';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';

export const validate: Command = {
  name: 'validate',
  usage: 'validate <dir>',
  summary: "check a plugin directory's manifest; exit code 1 and every field error when it is invalid",
  examples: ['clawdesk validate ./plugins/weather', 'clawdesk validate ./plugins/weather --json'],
  async run({ args, out }) {
    const dir = args[0];
    if (!dir) throw new UsageError('validate needs a plugin directory: clawdesk validate <dir>');
    // Loaded here, not at startup: `clawdesk --help` stays fast.
    const { loadManifest, ManifestError } = await import('@clawdesk/manifest');
    try {
      const manifest = await loadManifest(path.resolve(dir));
      out.result({ valid: true, name: manifest.name, version: manifest.version, file: manifest.manifestFile, warnings: manifest.warnings });
      out.line(`${out.good('✓')} ${manifest.manifestFile}: ${manifest.name}@${manifest.version} (${manifest.sandbox}/${manifest.runtime}, ${manifest.tools.length} tool(s))`);
      for (const w of manifest.warnings) out.line(`  ${out.warn('warning')} ${w}`);
      return EXIT.OK;
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      out.result({ valid: false, code: error.code, file: error.file, problems: error.problems });
      out.line(`${out.bad('✗')} ${error.file || dir}: ${error.code}`);
      for (const p of error.problems) out.line(`  ${out.bold(p.path || '(root)')}: ${p.message}`);
      if (!error.problems.length) out.line(`  ${error.message}`);
      return EXIT.FAILURE;
    }
  },
};
