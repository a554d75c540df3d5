/** The CLI's exit codes; only cli.ts turns them into the process's exit code. */
export const EXIT = {
  OK: 0,
  /** The command ran and failed: invalid manifest, load failure, tool error, timeout… */
  FAILURE: 1,
  /** The command line was wrong: unknown command or flag, missing or malformed argument. */
  USAGE: 2,
  /** A bug in clawdesk itself (an error without a stable code). */
  INTERNAL: 70,
} as const;

/** A user-facing failure: the CLI prints `message` (no stack) and exits with `exitCode`. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode: number = EXIT.FAILURE) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A wrong command line: exit code 2 and the command's help. */
export class UsageError extends CliError {
  constructor(message: string) {
    super('USAGE', message, EXIT.USAGE);
    this.name = 'UsageError';
  }
}

/** The stable `code` of any typed error thrown by clawdesk packages (or Node's `ERR_*`/`E*`), else `INTERNAL`. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
}

export function isUsageError(error: unknown): boolean {
  return error instanceof UsageError || errorCode(error).startsWith('ERR_PARSE_ARGS');
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (isUsageError(error)) return EXIT.USAGE;
  return errorCode(error) === 'INTERNAL' ? EXIT.INTERNAL : EXIT.FAILURE;
}

/** What `--json` prints for a failure: the code to branch on, and where it came from. */
export function errorJson(error: unknown): Record<string, unknown> {
  const e = error as (Error & { file?: string; problems?: unknown; plugin?: string; tool?: string; data?: unknown }) | null;
  const data = e?.data && typeof e.data === 'object' && Object.keys(e.data).length ? e.data : undefined;
  return {
    code: errorCode(error),
    message: e?.message ?? String(error),
    ...(e?.file ? { file: e.file } : {}),
    ...(e?.plugin ? { plugin: e.plugin } : {}),
    ...(e?.tool ? { tool: e.tool } : {}),
    ...(e?.problems ? { problems: e.problems } : {}),
    ...(data ? { data: safeJson(data) } : {}),
  };
}

/** `data` may hold errors or cycles; keep what serialises. */
function safeJson(value: unknown): unknown {
  const seen = new WeakSet<object>();
  try {
    return JSON.parse(
      JSON.stringify(value, (_key, v: unknown) => {
        if (v instanceof Error) return { name: v.name, message: v.message };
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      }),
    );
  } catch {
    return undefined;
  }
}
