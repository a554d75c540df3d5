import { styleText } from 'node:util';

/** Where a command writes. Colour only when stdout is a TTY (styleText checks the stream and NO_COLOR/FORCE_COLOR). */
export interface Output {
  json: boolean;
  /** A human line (suppressed with --json). */
  line(text?: string): void;
  /** The machine result (printed only with --json). */
  result(value: unknown): void;
  /** Text as is on stdout, in either mode (e.g. NDJSON events). */
  raw(text: string): void;
  /** Human progress/diagnostics on stderr, also with --json. */
  note(text: string): void;
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
}

type Style = Parameters<typeof styleText>[0];

export function createOutput(json: boolean, stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  const paint = (style: Style) => (text: string) => styleText(style, text, { stream: stdout });
  return {
    json,
    line: (text = '') => {
      if (!json) stdout.write(`${text}\n`);
    },
    result: (value) => {
      if (json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    raw: (text) => stdout.write(text),
    note: (text) => stderr.write(`${text}\n`),
    bold: paint('bold'),
    dim: paint('dim'),
    good: paint('green'),
    bad: paint('red'),
    warn: paint('yellow'),
  };
}

/** Left-aligned columns, widths from the widest cell. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)))).join('  ').trimEnd())
    .join('\n');
}

// eslint-disable-next-line no-control-regex
const visibleLength = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
