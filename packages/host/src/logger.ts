import type { Logger, LogLevel } from '@clawdesk/sandbox';

/** The default logger: drops everything (libraries never write to the console). */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

export interface LogEvent {
  level: LogLevel;
  message: string;
  plugin?: string;
  fields?: Record<string, unknown>;
}

/** A logger that forwards to `base` with `plugin` added and reports each line to `emit` (the host's 'log' event). */
export function scopedLogger(base: Logger, emit: (e: LogEvent) => void, plugin?: string): Logger {
  const line = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    // `plugin` last: a plugin's own fields must not relabel its lines as another plugin's.
    const all = plugin === undefined ? fields : { ...fields, plugin };
    base[level](message, all);
    emit({ level, message, ...(plugin === undefined ? {} : { plugin }), ...(fields ? { fields } : {}) });
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
