import type { Readable } from 'node:stream';

export interface InitializeRequest {
  id: string | number;
  params: Record<string, unknown>;
  /** Everything read so far, the `initialize` line included: replayed into `serve()`. */
  buffered: string;
}

/**
 * Reads `input` until the host's `initialize` request, then stops reading. The plugin's config
 * only arrives there, and `register(api)` needs it, so loading waits for it. Resolves
 * `undefined` when the input ends first.
 */
export function awaitInitialize(input: Readable): Promise<InitializeRequest | undefined> {
  return new Promise((resolve) => {
    let buffered = '';
    let scanned = 0;
    const finish = (value: InitializeRequest | undefined) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      resolve(value);
    };
    const onEnd = () => finish(undefined);
    const onData = (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n', scanned); newline !== -1; newline = buffered.indexOf('\n', scanned)) {
        const line = buffered.slice(scanned, newline);
        scanned = newline + 1;
        const request = parseInitialize(line);
        if (request) return finish({ ...request, buffered });
      }
    };
    input.setEncoding('utf8');
    input.on('data', onData);
    input.on('end', onEnd);
  });
}

function parseInitialize(line: string): Omit<InitializeRequest, 'buffered'> | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  const m = message as { id?: unknown; method?: unknown; params?: unknown } | null;
  if (m?.method !== 'initialize' || (typeof m.id !== 'string' && typeof m.id !== 'number')) return undefined;
  return { id: m.id, params: typeof m.params === 'object' && m.params !== null ? (m.params as Record<string, unknown>) : {} };
}
