import type { PluginHost } from '@clawdesk/host';
import type { ToolDef } from '@clawdesk/manifest';
import type { Logger } from '@clawdesk/sandbox';
import { buildNameTable, type NameTable } from './names.js';

/**
 * The tools every active plugin of one host offers, under their MCP names, and a signal when that
 * set may have changed. One catalog serves every MCP session of a `serveMcp` call; sessions
 * subscribe with `onChange` and send `notifications/tools/list_changed`.
 */
export class ToolCatalog {
  readonly #host: PluginHost;
  readonly #logger: Logger;
  readonly #listeners = new Set<() => void>();
  #table: NameTable<ToolDef> | undefined;
  #pending: NodeJS.Immediate | undefined;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(host: PluginHost, logger: Logger) {
    this.#host = host;
    this.#logger = logger;
    const changed = () => this.#changed();
    // `tools`: a plugin's visible tools appeared or went (load, start, stop, unload, fail, a reload
    // with other tools). `reloaded`: same names, but schemas or descriptions may differ.
    // `state` → failed: its tools left the index (covered by `tools` too; a second signal coalesces).
    const onState = ({ to }: { to: string }) => {
      if (to === 'failed') changed();
    };
    host.registry.on('tools', changed);
    host.on('reloaded', changed);
    host.on('state', onState);
    this.#unsubscribe.push(
      () => host.registry.off('tools', changed),
      () => host.off('reloaded', changed),
      () => host.off('state', onState),
    );
  }

  /** The current table; rebuilt lazily after a change. */
  table(): NameTable<ToolDef> {
    if (this.#table) return this.#table;
    const entries = this.#host.list().filter((e) => e.state === 'active');
    const table = buildNameTable(entries.flatMap((e) => e.tools.map((def) => ({ plugin: e.name, tool: def.name, def }))));
    for (const s of table.skipped) {
      this.#logger.warn(
        s.reason === 'collision'
          ? 'MCP tool name taken by another tool; this one is not served'
          : 'MCP tool name longer than 128 characters; not served',
        { plugin: s.plugin, tool: s.tool, name: s.name },
      );
    }
    this.#table = table;
    return table;
  }

  /** Called (once per burst of host events) after the served tools may have changed. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    if (this.#pending) clearImmediate(this.#pending);
    this.#listeners.clear();
  }

  #changed(): void {
    this.#table = undefined;
    // A reload emits several events in one turn; clients get one notification for it.
    this.#pending ??= setImmediate(() => {
      this.#pending = undefined;
      for (const listener of [...this.#listeners]) {
        try {
          listener();
        } catch (error) {
          this.#logger.warn('a tools/list_changed listener threw', { error: String(error) });
        }
      }
    });
  }
}
