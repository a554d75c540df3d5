import { StringDecoder } from 'node:string_decoder';

const MAX_LINE_CHARS = 2_000;

/** Splits stderr into lines for the log and keeps the last few, to explain a crash. Long lines are truncated. */
export class StderrTail {
  readonly #maxLines: number;
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';
  #lines: string[] = [];

  constructor(maxLines = 20) {
    this.#maxLines = maxLines;
  }

  /** Returns the lines this chunk completed. */
  push(chunk: Buffer): string[] {
    const parts = (this.#partial + this.#decoder.write(chunk)).split('\n');
    this.#partial = (parts.pop() ?? '').slice(0, MAX_LINE_CHARS);
    return this.#keep(parts);
  }

  end(): string[] {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    return rest ? this.#keep([rest]) : [];
  }

  /** The last lines seen, including an unterminated one. */
  get lines(): string[] {
    return this.#partial ? [...this.#lines, this.#partial] : [...this.#lines];
  }

  #keep(raw: string[]): string[] {
    const lines = raw.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l).slice(0, MAX_LINE_CHARS)).filter((l) => l.trim() !== '');
    this.#lines.push(...lines);
    if (this.#lines.length > this.#maxLines) this.#lines.splice(0, this.#lines.length - this.#maxLines);
    return lines;
  }
}
