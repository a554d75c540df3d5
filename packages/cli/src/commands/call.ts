import { resultValue } from '@clawdesk/sandbox';
import { intFlag, jsonArgs, stringFlag, type Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { loadOne, lookupDirs, withHost } from '../host.js';

export const call: Command = {
  name: 'call',
  usage: 'call <plugin> <tool> [json]',
  summary: 'call one tool of a plugin with JSON arguments and print its result; exit 1 when the tool reports an error or fails',
  examples: [`clawdesk call weather-wasm forecast '{"city":"Oslo","days":2}'`, `clawdesk call ./my-plugin echo '{"hi":1}' --json`],
  options: { timeout: { type: 'string' } },
  help: ["--timeout <ms>       per-call timeout (default: the manifest's timeoutMs)"],
  async run({ args, flags, out, signal, defaultDir }) {
    const [ref, tool, json] = args;
    if (!ref || !tool) throw new UsageError('call needs a plugin and a tool: clawdesk call <plugin> <tool> [json]');
    const input = jsonArgs(json);
    const timeoutMs = intFlag(flags, 'timeout', 1);
    return withHost({ dirs: lookupDirs(ref, stringFlag(flags, 'dir'), defaultDir), dataDir: stringFlag(flags, 'data-dir'), configFile: stringFlag(flags, 'config') }, async ({ host }) => {
      const name = await loadOne(host, ref);
      const result = await host.callTool(name, tool, input, { signal, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
      out.result(result);
      const value = resultValue(result);
      const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
      out.line(result.isError ? `${out.bad('tool error:')} ${text}` : text);
      return result.isError ? EXIT.FAILURE : EXIT.OK;
    });
  },
};
