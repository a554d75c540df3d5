/**
 * Errors `@clawdesk/mcp` throws itself, before or outside any MCP session. Callers branch on `code`.
 * Errors a client sees inside a session travel as JSON-RPC errors (the SDK's `McpError`) or as
 * `isError` tool results instead; see tools.ts.
 */
export type McpServeErrorCode = 'INVALID_OPTIONS' | 'INSECURE_LISTENER' | 'LISTEN_FAILED';

export interface McpServeErrorOptions {
  cause?: unknown;
  data?: Record<string, unknown>;
}

export class McpServeError extends Error {
  readonly code: McpServeErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: McpServeErrorCode, message: string, opts: McpServeErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = opts.data ?? {};
  }
}

/** `data`: `{ option, expected, received }`. */
export class InvalidServeOptionsError extends McpServeError {
  constructor(option: string, expected: string, received: unknown) {
    super('INVALID_OPTIONS', `serveMcp option "${option}" must be ${expected}, got ${describe(received)}`, {
      data: { option, expected, received: describe(received) },
    });
  }
}

/**
 * An HTTP listener on a non-loopback address with neither a bearer token nor an Origin allowlist:
 * anyone who can reach the port could call every plugin. `data`: `{ host }`.
 */
export class InsecureListenerError extends McpServeError {
  constructor(host: string) {
    super(
      'INSECURE_LISTENER',
      `refusing to serve MCP over HTTP on ${host} without authentication: pass http.token (a bearer token) or http.allowedOrigins, or bind 127.0.0.1`,
      { data: { host } },
    );
  }
}

/** The HTTP server could not bind (port in use, no such address). `data`: `{ host, port }`; the system error is `cause`. */
export class ListenFailedError extends McpServeError {
  constructor(host: string, port: number, cause: unknown) {
    super('LISTEN_FAILED', `could not listen on ${host}:${port}: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
      data: { host, port },
    });
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return `${JSON.stringify(value)} (${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value})`;
  } catch {
    return typeof value;
  }
}
