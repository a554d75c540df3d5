import { RegistryError } from '@clawdesk/registry';
import { isSandboxError } from '@clawdesk/sandbox';

/**
 * Errors the host throws itself. Callers branch on `code`; each class documents its `data`.
 * Failures inside a sandbox use the shared classes of `@clawdesk/sandbox` (TIMEOUT, CRASHED, ...).
 */
export type HostErrorCode =
  | 'CHANNEL_NOT_FOUND'
  | 'DOWNLOAD_FAILED'
  | 'DRIVER_MISSING'
  | 'HOST_CLOSED'
  | 'INCOMPATIBLE_HOST'
  | 'INVALID_OPTIONS'
  | 'NOT_ACTIVE'
  | 'PLUGIN_ERROR'
  | 'PLUGIN_NOT_FOUND'
  | InstallErrorCode;

export interface HostErrorOptions {
  plugin?: string;
  cause?: unknown;
  data?: Record<string, unknown>;
}

export class HostError extends Error {
  readonly code: HostErrorCode;
  readonly plugin: string | undefined;
  readonly data: Record<string, unknown>;

  constructor(code: HostErrorCode, message: string, opts: HostErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.plugin = opts.plugin;
    this.data = opts.data ?? {};
  }
}

/** npm package providing each sandbox kind, for error messages. */
export const DRIVER_PACKAGES: Readonly<Record<string, string>> = {
  wasm: '@clawdesk/sandbox-wasm',
  process: '@clawdesk/sandbox-process',
  native: '@clawdesk/host',
};

/** `data`: `{ sandbox, runtime, package, given }` — `given` lists the kinds of the drivers passed to `createHost`. */
export class DriverMissingError extends HostError {
  constructor(plugin: string, sandbox: string, runtime: string, given: string[], format?: string) {
    const pkg = format === 'openclaw' ? '@clawdesk/openclaw' : (DRIVER_PACKAGES[sandbox] ?? `a driver for sandbox "${sandbox}"`);
    const how =
      sandbox === 'native'
        ? 'pass createNativeDriver() from @clawdesk/host in createHost({ drivers })'
        : `install ${pkg} and pass its driver in createHost({ drivers })`;
    const sameKind =
      format === 'openclaw'
        ? ' (it is an OpenClaw plugin, which runs through its own driver)'
        : given.includes(sandbox)
          ? ` (the "${sandbox}" driver given does not support runtime "${runtime}")`
          : '';
    super('DRIVER_MISSING', `plugin "${plugin}" needs sandbox "${sandbox}" but no driver given supports it${sameKind}: ${how}`, {
      plugin,
      data: { sandbox, runtime, package: pkg, given },
    });
  }
}

/** `data`: `{ requires, hostVersion }`. */
export class IncompatibleHostError extends HostError {
  constructor(plugin: string, requires: string, hostVersion: string) {
    super('INCOMPATIBLE_HOST', `plugin "${plugin}" requires host version "${requires}" but this host is ${hostVersion}`, {
      plugin,
      data: { requires, hostVersion },
    });
  }
}

/** `data`: `{ plugin, state }`. */
export class NotActiveError extends HostError {
  constructor(plugin: string, state: string) {
    super('NOT_ACTIVE', `plugin "${plugin}" is ${state}, not active; call host.start("${plugin}") first`, {
      plugin,
      data: { plugin, state },
    });
  }
}

/** `data`: `{ name, dirs, available }`. */
export class PluginNotFoundInDirsError extends HostError {
  constructor(name: string, dirs: string[], available: string[]) {
    const where = dirs.length ? `in ${dirs.join(', ')}` : 'because createHost was given no pluginDirs';
    const list = available.length ? ` (found: ${available.join(', ')})` : '';
    super('PLUGIN_NOT_FOUND', `no plugin named "${name}" ${where}${list}`, { plugin: name, data: { name, dirs, available } });
  }
}

/** `data`: `{ channel, known }`. */
export class ChannelNotFoundError extends HostError {
  constructor(channel: string, known: string[]) {
    super('CHANNEL_NOT_FOUND', `no plugin adapts channel "${channel}"${known.length ? ` (known: ${known.join(', ')})` : ''}`, {
      data: { channel, known },
    });
  }
}

/** `data`: `{ url, status? }`. */
export class DownloadFailedError extends HostError {
  constructor(detail: string, opts: HostErrorOptions & { url: string; status?: number }) {
    super('DOWNLOAD_FAILED', `download of ${opts.url} failed: ${detail}`, {
      ...opts,
      data: { url: opts.url, ...(opts.status === undefined ? {} : { status: opts.status }), ...opts.data },
    });
  }
}

export class HostClosedError extends HostError {
  constructor() {
    super('HOST_CLOSED', 'the host was closed');
  }
}

/** `data`: `{ option, expected, received }`. */
export class InvalidOptionsError extends HostError {
  constructor(option: string, expected: string, received: unknown) {
    const shown = typeof received === 'string' ? `"${received}"` : String(received);
    super('INVALID_OPTIONS', `option "${option}" must be ${expected}, received ${shown} (${typeof received})`, {
      data: { option, expected, received },
    });
  }
}

/**
 * A plugin call failed with something that is not a clawdesk error (a driver bug, a stray throw).
 * `data`: `{ plugin, tool?, hook?, driver, pluginCode? }`; the original is `cause`.
 */
export class PluginCallError extends HostError {
  readonly tool: string | undefined;
  readonly hook: string | undefined;
  readonly driver: string;
  readonly pluginCode: unknown;
  constructor(cause: unknown, where: CallSite) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const what = where.tool ? `tool "${where.tool}"` : `hook "${where.hook}"`;
    const pluginCode = (cause as { code?: unknown } | null)?.code;
    super('PLUGIN_ERROR', `plugin "${where.plugin}" ${what} failed in the ${where.driver} driver: ${detail}`, {
      plugin: where.plugin,
      cause,
      data: { ...where, ...(pluginCode === undefined ? {} : { pluginCode }) },
    });
    this.tool = where.tool;
    this.hook = where.hook;
    this.driver = where.driver;
    this.pluginCode = pluginCode;
  }
}

/**
 * Why `host.install(spec)` failed. Every one carries `data.spec` (as given) and, once known,
 * `data.package` (`name@version`):
 * - `CANCELLED`: the install's `signal` aborted (the reason is `cause`); nothing was written.
 * - `DEPENDENCIES_FAILED`: `npm install` of the plugin's production dependencies failed (`data.exitCode`,
 *   `data.stderr`, `data.npm`: the npm CLI used) or no npm CLI was found; nothing was written.
 * - `INSTALL_FAILED`: anything else (network, disk, tar); the original is `cause`.
 * - `INSTALL_UNAVAILABLE`: pacote, the optional peer dependency `install` fetches with, is not
 *   installed (`data.missing: 'pacote'`, `data.range`); nothing was written.
 * - `INTEGRITY_MISMATCH`: the tarball does not match the expected integrity (`data.expected`, `data.found`).
 * - `INVALID_SPEC`: not `npm:<name>[@<range>]` or `file:<tarball>`, or npm rejects the name or range.
 * - `INVALID_PACKAGE`: the package names itself (package.json `name`) with something that is not an
 *   npm package name, such as `a/../../x`, so it has no safe directory (`data.name`); nothing was written.
 * - `NO_MANIFEST`: the package has neither `plugin.json5` nor `openclaw.plugin.json`.
 * - `NO_MATCHING_VERSION`: no published version satisfies the range (`data.wanted`, `data.versions`).
 * - `NPM_NOT_FOUND`: no such package in the registry, or no tarball at the `file:` path (`data.registry`).
 */
export type InstallErrorCode =
  | 'CANCELLED'
  | 'DEPENDENCIES_FAILED'
  | 'INSTALL_FAILED'
  | 'INSTALL_UNAVAILABLE'
  | 'INTEGRITY_MISMATCH'
  | 'INVALID_SPEC'
  | 'INVALID_PACKAGE'
  | 'NO_MANIFEST'
  | 'NO_MATCHING_VERSION'
  | 'NPM_NOT_FOUND';

/** A failed `host.install`; `spec` is the spec as given. See `InstallErrorCode` for each code's `data`. */
export class InstallError extends HostError {
  declare readonly code: InstallErrorCode;
  readonly spec: string;
  constructor(code: InstallErrorCode, message: string, opts: HostErrorOptions & { spec: string }) {
    const { spec, ...rest } = opts;
    super(code, message, { ...rest, data: { spec, ...rest.data } });
    this.spec = spec;
  }
}

/** Where a plugin call went: attached to every error it produces. */
export interface CallSite {
  plugin: string;
  tool?: string;
  hook?: string;
  driver: string;
}

/**
 * The one place plugin failures are wrapped (rollup's `runHook` pattern): sandbox errors get the
 * plugin, tool and driver filled in; anything unknown becomes a `PluginCallError`.
 */
export function wrapCallError(err: unknown, where: CallSite): Error {
  if (isSandboxError(err)) {
    const e = err as unknown as { plugin?: string; tool?: string; driver?: string; data: Record<string, unknown> };
    e.plugin ??= where.plugin;
    e.driver ??= where.driver;
    if (where.tool) e.tool ??= where.tool;
    if (where.hook && e.data.hook === undefined) e.data.hook = where.hook;
    return err;
  }
  if (err instanceof HostError || err instanceof RegistryError) return err;
  return new PluginCallError(err, where);
}
