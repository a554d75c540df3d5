/**
 * Errors shared by every driver and the host. Callers branch on `code`, never on messages.
 * `plugin`, `tool` and `driver` say where a failure came from.
 */
export type SandboxErrorCode =
  | 'CANCELLED'
  | 'CRASHED'
  | 'DISPOSED'
  | 'INVALID_ARGUMENTS'
  | 'INVALID_OUTPUT'
  | 'ISOLATION_UNAVAILABLE'
  | 'LOAD_FAILED'
  | 'MEMORY_LIMIT'
  | 'OUTPUT_TOO_LARGE'
  | 'PERMISSION_DENIED'
  | 'RUNTIME_MISSING'
  | 'TIMEOUT'
  | 'TOOL_ERROR'
  | 'TOOL_NOT_FOUND';

export interface SandboxErrorOptions {
  plugin?: string;
  tool?: string;
  driver?: string;
  cause?: unknown;
  data?: Record<string, unknown>;
}

/**
 * Marks every SandboxError, whichever copy of this package made it: a driver built against
 * another patch version, or loaded as CJS by an ESM host, has its own classes, and `instanceof`
 * on classes alone would turn its CRASHED into an unknown error.
 */
const BRAND = Symbol.for('clawdesk.sandbox-error');

export class SandboxError extends Error {
  /**
   * `instanceof SandboxError` (or a subclass such as `TimeoutError`) holds for errors from any
   * copy of `@clawdesk/sandbox`: it checks the brand, and for the built-in subclasses the `code`.
   * A class of your own that extends one of them keeps the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!isSandboxError(value)) return false;
    if (this === SandboxError) return true;
    const code = Object.hasOwn(this, 'CODE') ? (this as unknown as { CODE: SandboxErrorCode }).CODE : undefined;
    return code === undefined ? Function.prototype[Symbol.hasInstance].call(this, value) : value.code === code;
  }

  readonly code: SandboxErrorCode;
  readonly plugin: string | undefined;
  readonly tool: string | undefined;
  readonly driver: string | undefined;
  readonly data: Record<string, unknown>;

  constructor(code: SandboxErrorCode, message: string, opts: SandboxErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.plugin = opts.plugin;
    this.tool = opts.tool;
    this.driver = opts.driver;
    this.data = opts.data ?? {};
  }
}

const where = (o: SandboxErrorOptions) =>
  [o.plugin && `plugin "${o.plugin}"`, o.tool && `tool "${o.tool}"`].filter(Boolean).join(', ');

/** `data`: `{ timeoutMs, elapsedMs }`. */
export class TimeoutError extends SandboxError {
  static readonly CODE = 'TIMEOUT' satisfies SandboxErrorCode;
  constructor(timeoutMs: number, opts: SandboxErrorOptions & { elapsedMs?: number } = {}) {
    super('TIMEOUT', `${where(opts) || 'call'} timed out after ${timeoutMs} ms`, {
      ...opts,
      data: { timeoutMs, elapsedMs: opts.elapsedMs, ...opts.data },
    });
  }
}

/** `data`: `{ exitCode?, signal?, stderr? }`. */
export class CrashedError extends SandboxError {
  static readonly CODE = 'CRASHED' satisfies SandboxErrorCode;
  constructor(detail: string, opts: SandboxErrorOptions = {}) {
    super('CRASHED', `${where(opts) || 'plugin'} crashed: ${detail}`, opts);
  }
}

export class ToolNotFoundError extends SandboxError {
  static readonly CODE = 'TOOL_NOT_FOUND' satisfies SandboxErrorCode;
  constructor(tool: string, opts: SandboxErrorOptions & { available?: string[] } = {}) {
    const list = opts.available?.length ? ` (available: ${opts.available.join(', ')})` : '';
    super('TOOL_NOT_FOUND', `${opts.plugin ? `plugin "${opts.plugin}" has no` : 'no'} tool "${tool}"${list}`, {
      ...opts,
      tool,
      data: { available: opts.available ?? [], ...opts.data },
    });
  }
}

export interface ArgumentProblem {
  path: string;
  message: string;
}

/** `problems`: every failing path of the arguments against the tool's `inputSchema`. */
export class InvalidArgumentsError extends SandboxError {
  static readonly CODE = 'INVALID_ARGUMENTS' satisfies SandboxErrorCode;
  readonly problems: ArgumentProblem[];
  constructor(problems: ArgumentProblem[], opts: SandboxErrorOptions = {}) {
    const list = problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ');
    super('INVALID_ARGUMENTS', `invalid arguments for ${where(opts) || 'tool'}: ${list}`, opts);
    this.problems = problems;
  }
}

export class InvalidOutputError extends SandboxError {
  static readonly CODE = 'INVALID_OUTPUT' satisfies SandboxErrorCode;
  constructor(detail: string, opts: SandboxErrorOptions = {}) {
    super('INVALID_OUTPUT', `${where(opts) || 'plugin'} returned invalid output: ${detail}`, opts);
  }
}

export class PermissionDeniedError extends SandboxError {
  static readonly CODE = 'PERMISSION_DENIED' satisfies SandboxErrorCode;
  constructor(detail: string, opts: SandboxErrorOptions = {}) {
    super('PERMISSION_DENIED', `${where(opts) || 'plugin'} permission denied: ${detail}`, opts);
  }
}

/** `data`: `{ limitBytes, bytes? }`. */
export class OutputTooLargeError extends SandboxError {
  static readonly CODE = 'OUTPUT_TOO_LARGE' satisfies SandboxErrorCode;
  constructor(limitBytes: number, opts: SandboxErrorOptions & { bytes?: number } = {}) {
    super('OUTPUT_TOO_LARGE', `${where(opts) || 'plugin'} output exceeds ${limitBytes} bytes`, {
      ...opts,
      data: { limitBytes, bytes: opts.bytes, ...opts.data },
    });
  }
}

/** `data`: `{ runtime, install }`. */
export class RuntimeMissingError extends SandboxError {
  static readonly CODE = 'RUNTIME_MISSING' satisfies SandboxErrorCode;
  constructor(runtime: string, install: string, opts: SandboxErrorOptions = {}) {
    super('RUNTIME_MISSING', `runtime "${runtime}" is not installed${opts.plugin ? ` (needed by plugin "${opts.plugin}")` : ''}: ${install}`, {
      ...opts,
      data: { runtime, install, ...opts.data },
    });
  }
}

/**
 * The plugin hit its `permissions.memoryMb` cap and was stopped: the cap did its job.
 * `data`: `{ limitMb }`.
 */
export class MemoryLimitError extends SandboxError {
  static readonly CODE = 'MEMORY_LIMIT' satisfies SandboxErrorCode;
  constructor(limitMb: number, opts: SandboxErrorOptions = {}) {
    super('MEMORY_LIMIT', `${where(opts) || 'plugin'} exceeded its memory cap of ${limitMb} MB (permissions.memoryMb)`, {
      ...opts,
      data: { limitMb, ...opts.data },
    });
  }
}

/**
 * The host asked for OS isolation (`isolation: 'require'`) and this machine cannot provide it.
 * `data`: `{ missing, install }`: what is missing and what to install or enable.
 */
export class IsolationUnavailableError extends SandboxError {
  static readonly CODE = 'ISOLATION_UNAVAILABLE' satisfies SandboxErrorCode;
  constructor(missing: string, install: string, opts: SandboxErrorOptions = {}) {
    super('ISOLATION_UNAVAILABLE', `${opts.plugin ? `plugin "${opts.plugin}"` : 'plugin'} needs OS isolation, unavailable here: ${missing}; ${install}`, {
      ...opts,
      data: { missing, install, ...opts.data },
    });
  }
}

export class LoadFailedError extends SandboxError {
  static readonly CODE = 'LOAD_FAILED' satisfies SandboxErrorCode;
  constructor(detail: string, opts: SandboxErrorOptions = {}) {
    super('LOAD_FAILED', `${opts.plugin ? `plugin "${opts.plugin}"` : 'plugin'} failed to load: ${detail}`, opts);
  }
}

/** The plugin's tool ran and reported a failure of its own (the message is the plugin's). */
export class ToolError extends SandboxError {
  static readonly CODE = 'TOOL_ERROR' satisfies SandboxErrorCode;
  constructor(detail: string, opts: SandboxErrorOptions = {}) {
    super('TOOL_ERROR', `${where(opts) || 'tool'} failed: ${detail}`, opts);
  }
}

export class CancelledError extends SandboxError {
  static readonly CODE = 'CANCELLED' satisfies SandboxErrorCode;
  constructor(opts: SandboxErrorOptions & { reason?: unknown } = {}) {
    super('CANCELLED', `${where(opts) || 'call'} was cancelled`, { ...opts, cause: opts.reason ?? opts.cause });
  }
}

export class DisposedError extends SandboxError {
  static readonly CODE = 'DISPOSED' satisfies SandboxErrorCode;
  constructor(opts: SandboxErrorOptions = {}) {
    super('DISPOSED', `${opts.plugin ? `plugin "${opts.plugin}"` : 'sandbox'} was disposed`, opts);
  }
}

export function isSandboxError(value: unknown): value is SandboxError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true && typeof (value as { code?: unknown }).code === 'string';
}

// On the prototype, not the instance: invisible to JSON, structuredClone and test equality.
Object.defineProperty(SandboxError.prototype, BRAND, { value: true });
