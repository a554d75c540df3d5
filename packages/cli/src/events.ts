import type { PluginHost } from '@clawdesk/host';
import type { Output } from './output.js';

/** Prints one event of a long-running command: a timestamped line, or with --json one NDJSON object. */
export type EmitEvent = (kind: string, fields: Record<string, unknown>, text: string) => void;

export function eventPrinter(out: Output): EmitEvent {
  return (kind, fields, text) => {
    if (out.json) out.raw(`${JSON.stringify({ event: kind, time: new Date().toISOString(), ...fields })}\n`);
    else out.line(`${out.dim(new Date().toLocaleTimeString())} ${text}`);
  };
}

/** Each distinct warning once: a reload repeats the driver's load-time warnings word for word. */
export function printEachWarningOnce(host: PluginHost, event: EmitEvent, out: Output): void {
  const warned = new Set<string>();
  host.on('log', (l) => {
    const key = `${l.plugin ?? ''}\0${l.message}`;
    if (l.level !== 'warn' || warned.has(key)) return;
    warned.add(key);
    event('warning', { plugin: l.plugin, message: l.message }, out.warn(`${l.plugin ? `${l.plugin}: ` : ''}${l.message}`));
  });
}
