import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type LoadedManifest, loadManifest, type PluginManifest, scanPlugins, type ToolDef } from '@clawdesk/manifest';
import {
  DuplicatePluginError,
  InvalidTransitionError,
  NameMismatchError,
  PluginRegistry,
  type RegistryEntry,
  type StateChange,
  TRANSITIONS,
} from '@clawdesk/registry';
import {
  type CallOptions,
  CancelledError,
  CrashedError,
  Deadlines,
  DisposedError,
  type ExitInfo,
  InvalidArgumentsError,
  isSandboxError,
  LoadFailedError,
  type Logger,
  NOTHING_ENFORCED,
  permissionGaps,
  type PermissionReport,
  type PluginDescription,
  type SandboxContext,
  type SandboxDriver,
  type SandboxInstance,
  schemaProblems,
  ToolNotFoundError,
  type ToolResult,
} from '@clawdesk/sandbox';
import type { ValidateFunction } from 'ajv';
import semver from 'semver';
import { type Deferred, deferred, KeyedLock } from './async.js';
import { browserDownload } from './download.js';
import {
  type CallSite,
  ChannelNotFoundError,
  DriverMissingError,
  HostClosedError,
  HostError,
  IncompatibleHostError,
  InvalidOptionsError,
  NotActiveError,
  wrapCallError,
} from './errors.js';
import { type LogEvent, scopedLogger } from './logger.js';
import { type HostOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { IN_PROCESS_CALL, type InProcessCall } from './native/driver.js';
import { abortHookOf, type CallToolOptions, CallTracker, LazySignalOptions, raceCall } from './race.js';
import { isPathLike, resolvePlugin } from './resolver.js';
import { backoffDelay, CrashHistory } from './restart.js';
import { instantiateWithin, startInstance, startTimeoutOf } from './start.js';
import { Throttle } from './throttle.js';
import { compileValidators } from './validate.js';
import { followDescription, mergeTools } from './described.js';
import { type InstalledEvent, type InstallOptions, installPlugin } from './install.js';
import { type PluginWatcher, type WatchOptions, watchPlugins } from './watch.js';

export interface LoadOptions {
  /** Go on to `active` after `loaded`. Default `true`; `false` stops at `loaded` (call `start`). */
  start?: boolean;
  /** Take exclusive slots over from their current holder instead of failing with `SLOT_CONFLICT`. */
  replaceSlots?: boolean;
}

export interface ReloadOptions {
  /** Use this manifest instead of re-reading the plugin's directory. */
  manifest?: PluginManifest;
}

const NO_OPTIONS: CallToolOptions = Object.freeze({});

export type HookOutcome = { plugin: string; ok: true; value: unknown } | { plugin: string; ok: false; error: Error };

export interface LoadProblem {
  /** The plugin directory (or the scanned directory when it could not be listed). */
  dir: string;
  /** Known once the manifest parsed. */
  plugin?: string;
  error: Error;
  message: string;
}

export interface LoadAllResult {
  loaded: RegistryEntry[];
  problems: LoadProblem[];
}

export interface ChannelHandle {
  readonly channel: string;
  readonly plugin: string;
  /** Sends through the owning plugin's hook `channel:<name>`; resolves to what the hook returned. */
  send(payload: unknown, opts?: CallToolOptions): Promise<unknown>;
}

export interface PluginInspection {
  entry: RegistryEntry;
  /** Package of the driver serving it. */
  driver: string;
  enforcement: PermissionReport;
  dataDir: string;
  /** What the running plugin registered that this host has no counterpart for (ignored), e.g. OpenClaw commands. */
  unsupported: { kind: string; name: string }[];
}

export type HostOperation = 'load' | 'start' | 'stop' | 'reload' | 'unload' | 'restart' | 'dispatch' | 'transform' | 'close' | 'watch';

export interface HostErrorEvent {
  operation: HostOperation;
  error: Error;
  plugin?: string;
  hook?: string;
}

export interface CrashEvent {
  plugin: string;
  exit: ExitInfo;
  /** Crashes within the restart window, this one included. */
  crashes: number;
  /** When the restart is due; absent when the plugin was marked `failed` instead. */
  restartInMs?: number;
}

/** Event name → listener arguments. */
export interface HostEvents {
  state: [StateChange];
  log: [LogEvent];
  /** Only emitted when someone listens (an unheard 'error' never throws). */
  error: [HostErrorEvent];
  crash: [CrashEvent];
  restart: [{ plugin: string; attempt: number }];
  reloaded: [{ plugin: string; from: string; to: string }];
  /** A new version failed to load (or describe, or claim its names); the old one, if any, keeps serving. */
  'reload-failed': [{ plugin: string; error: Error }];
  installed: [InstalledEvent];
}

/** One loaded version of a plugin: its driver, running instance and compiled policies. */
interface Generation {
  readonly manifest: PluginManifest;
  readonly driver: SandboxDriver;
  readonly ctx: SandboxContext;
  readonly tools: Map<string, ToolDef>;
  readonly hooks: string[];
  readonly unsupported: { kind: string; name: string }[];
  readonly validators: Map<string, ValidateFunction>;
  /** Calls in flight (their fail functions); `drained` resolves when the set empties during retirement. */
  readonly tracker: CallTracker;
  drained: Deferred<void> | undefined;
  /** Undefined while restarting after a crash; calls then wait on `ready`. */
  instance: SandboxInstance | undefined;
  ready: Deferred<SandboxInstance>;
  unsubscribe: (() => void) | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  retired: boolean;
}

interface Managed {
  readonly name: string;
  /** Loaded from a directory: `reload` re-reads the manifest there. */
  fromDir: boolean;
  replaceSlots: boolean;
  gen: Generation | undefined;
  readonly throttle: Throttle;
  readonly crashes: CrashHistory;
}

/**
 * Creates a plugin host. The app passes the drivers it supports; nothing else is required.
 *
 * ```ts
 * const host = createHost({ drivers: [createNativeDriver()], hostVersion: '1.0.0', dataDir: './data' });
 * await host.load('./plugins/echo');
 * await host.call('echo.echo', { hi: 1 });
 * await host.close();
 * ```
 */
export function createHost(options: HostOptions): PluginHost {
  return new PluginHost(resolveOptions(options));
}

/**
 * Lifecycle (`resolved → loaded → active → stopped`, plus `failed`), the policies every driver
 * gets (timeout, cancellation, throttle, argument validation, crash restart) and the host
 * functions plugins call. Create with `createHost`.
 */
export class PluginHost extends EventEmitter<HostEvents> {
  readonly registry: PluginRegistry;
  readonly hostVersion: string;
  readonly #o: ResolvedOptions;
  readonly #log: Logger;
  readonly #plugins = new Map<string, Managed>();
  readonly #lock = new KeyedLock();
  readonly #deadlines = new Deadlines();
  /** Old versions draining after a reload; awaited by `close()`. */
  readonly #background = new Set<Promise<void>>();
  /** Open `watch()` watchers; closed by `close()`. */
  readonly #watchers = new Set<PluginWatcher>();
  readonly #forwardState = (change: StateChange) => this.emit('state', change);
  #closed = false;

  /** @internal Use `createHost`. */
  constructor(options: ResolvedOptions) {
    super();
    this.#o = options;
    this.hostVersion = options.hostVersion;
    this.registry = options.registry ?? new PluginRegistry();
    this.registry.on('state', this.#forwardState);
    this.#log = scopedLogger(options.logger, (e) => this.emit('log', e));
  }

  /** Registered plugins in load order. */
  list(): RegistryEntry[] {
    return this.registry.list();
  }

  get(name: string): RegistryEntry | undefined {
    return this.registry.get(name);
  }

  /** Finds a plugin by name in the configured `pluginDirs` (first dir wins); throws `PLUGIN_NOT_FOUND`. */
  resolve(name: string): Promise<LoadedManifest> {
    this.#assertOpen();
    return resolvePlugin(name, this.#o.pluginDirs);
  }

  /**
   * Loads one plugin: a manifest object, a directory (anything path-like), or a name resolved in
   * `pluginDirs`. Goes `resolved → loaded → active` (stop at `loaded` with `{ start: false }`).
   * A failure after `resolved` leaves the plugin listed as `failed` with its error; loading the
   * same name again retries.
   */
  async load(source: string | PluginManifest, opts: LoadOptions = {}): Promise<RegistryEntry> {
    this.#assertOpen();
    const { manifest, fromDir } = await this.#manifestOf(source);
    return this.#load(manifest, fromDir, opts);
  }

  /**
   * Loads every plugin under `dir` (default: every `pluginDirs` entry). Never stops on one bad
   * plugin: each manifest error or load failure becomes a problem.
   */
  async loadAll(dir?: string, opts: LoadOptions = {}): Promise<LoadAllResult> {
    this.#assertOpen();
    const dirs = dir === undefined ? this.#o.pluginDirs : [path.resolve(dir)];
    const result: LoadAllResult = { loaded: [], problems: [] };
    for (const d of dirs) {
      let scan;
      try {
        scan = await scanPlugins(d);
      } catch (error) {
        result.problems.push({ dir: d, error: error as Error, message: (error as Error).message });
        continue;
      }
      for (const p of scan.problems) result.problems.push({ dir: p.dir, error: p.error, message: p.message });
      for (const manifest of scan.plugins) {
        this.#logManifestWarnings(manifest);
        try {
          result.loaded.push(await this.#load(manifest, true, opts));
        } catch (error) {
          result.problems.push({ dir: manifest.dir, plugin: manifest.name, error: error as Error, message: (error as Error).message });
        }
      }
    }
    return result;
  }

  /** `loaded → active`, or `stopped → active` (a fresh instance). */
  start(name: string): Promise<RegistryEntry> {
    this.#assertOpen();
    return this.#lock.run(name, async () => {
      const { entry, m } = this.#require(name);
      this.#assertTransition(entry, 'active');
      if (entry.state === 'stopped') {
        try {
          await this.#replaceGeneration(m, await this.#prepare(m, this.#genOf(m).manifest));
        } catch (error) {
          throw this.#markFailed(name, error, 'start');
        }
      }
      return this.registry.setState(name, 'active');
    });
  }

  /** `active|loaded → stopped`: refuses new calls at once, lets in-flight calls finish, then disposes the instance. */
  stop(name: string): Promise<RegistryEntry> {
    this.#assertOpen();
    return this.#lock.run(name, async () => {
      const { entry, m } = this.#require(name);
      this.#assertTransition(entry, 'stopped');
      const stopped = this.registry.setState(name, 'stopped');
      m.throttle.clear(new NotActiveError(name, 'stopped'));
      if (m.gen) await this.#retire(m.gen);
      return stopped;
    });
  }

  /**
   * From `active`, `stopped` or `failed`: loads the new version (manifest re-read from its
   * directory, code re-imported) beside the old one, swaps it in atomically (`→ loaded → active`),
   * then drains and disposes the old one in the background. If the new version fails, the old
   * one keeps serving, the state does not change, and the error is thrown and emitted.
   */
  reload(name: string, opts: ReloadOptions = {}): Promise<RegistryEntry> {
    this.#assertOpen();
    return this.#lock.run(name, async () => {
      const { entry, m } = this.#require(name);
      if (!['active', 'stopped', 'failed'].includes(entry.state)) {
        throw new InvalidTransitionError(name, entry.state, 'loaded', TRANSITIONS[entry.state]);
      }
      let next: Generation;
      try {
        const manifest = opts.manifest ?? (m.fromDir ? await this.#readDir(entry.manifest.dir) : entry.manifest);
        if (manifest.name !== name) throw new NameMismatchError(name, manifest.name);
        next = await this.#prepare(m, manifest);
      } catch (error) {
        this.#emitError({ operation: 'reload', plugin: name, error: error as Error });
        this.emit('reload-failed', { plugin: name, error: error as Error });
        throw error;
      }
      const old = m.gen;
      m.gen = next;
      try {
        this.registry.replace(
          name,
          { manifest: next.manifest, state: 'loaded', tools: [...next.tools.values()], hooks: next.hooks, driver: next.driver.kind },
          { replaceSlots: m.replaceSlots },
        );
      } catch (error) {
        m.gen = old;
        await this.#retire(next);
        this.#emitError({ operation: 'reload', plugin: name, error: error as Error });
        this.emit('reload-failed', { plugin: name, error: error as Error });
        throw error;
      }
      m.crashes.reset();
      const active = this.registry.setState(name, 'active');
      this.emit('reloaded', { plugin: name, from: entry.manifest.version, to: next.manifest.version });
      if (old) this.#track(this.#retire(old));
      return active;
    });
  }

  /**
   * Watches directories of plugin directories (default: `pluginDirs`) and keeps the host in step:
   * a change inside a loaded plugin's directory reloads it, a new plugin directory loads, a removed
   * one unloads — each after `debounceMs` (200) of quiet in that directory. Resolves once watching.
   */
  async watch(dirs: string | readonly string[] = this.#o.pluginDirs, opts: WatchOptions = {}): Promise<PluginWatcher> {
    this.#assertOpen();
    const watcher = await watchPlugins(this, typeof dirs === 'string' ? [dirs] : dirs, opts, {
      dataDir: this.#o.dataDir,
      logger: this.#log,
      report: (operation, error, plugin) => this.#emitError({ operation, error, ...(plugin ? { plugin } : {}) }),
      onClose: (w) => this.#watchers.delete(w),
    });
    this.#watchers.add(watcher);
    if (this.#closed) await watcher.close();
    this.#assertOpen();
    return watcher;
  }

  /**
   * Installs `npm:<name>[@<range>]` or `file:<tarball>` into a plugins dir and loads it (or
   * reloads it, zero-downtime, if the host runs it from there already). Integrity checked, cached
   * under `<dataDir>/.cache/npm`; on failure the plugins dir is left as it was.
   */
  install(spec: string, opts: InstallOptions = {}): Promise<RegistryEntry> {
    try {
      this.#assertOpen();
      return installPlugin(this, spec, opts, {
        dataDir: this.#o.dataDir,
        pluginDirs: this.#o.pluginDirs,
        onInstalled: (e) => this.emit('installed', e),
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops (if active) and removes the plugin; its name, tools and claims are free afterwards. */
  unload(name: string): Promise<void> {
    this.#assertOpen();
    return this.#lock.run(name, () => this.#unload(name));
  }

  /**
   * Calls a tool of an active plugin. Arguments are checked against the tool's `inputSchema`
   * first; the call is spaced by `minCallIntervalMs`, bounded by `timeoutMs` (manifest default,
   * per-call override) and cancellable by `signal`. A tool that fails on its own terms resolves to
   * an `isError` result; sandbox failures reject with a `SandboxError` carrying plugin, tool, driver.
   */
  callTool(plugin: string, tool: string, args?: unknown, opts: CallToolOptions = NO_OPTIONS): Promise<ToolResult> {
    try {
      const { m, gen } = this.#active(plugin);
      const where: CallSite = { plugin, tool, driver: gen.driver.kind };
      if (!gen.tools.has(tool)) throw new ToolNotFoundError(tool, { ...where, available: [...gen.tools.keys()] });
      const input = args === undefined ? {} : args;
      const validate = gen.validators.get(tool);
      if (validate && !validate(input)) throw new InvalidArgumentsError(schemaProblems(validate.errors), where);
      return this.#invoke(m, gen, where, opts, gen.manifest.minCallIntervalMs, 'tool', tool, input) as Promise<ToolResult>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `callTool` by qualified `plugin.tool`, or by a bare tool name only one plugin offers (else `AMBIGUOUS_TOOL`). */
  call(tool: string, args?: unknown, opts?: CallToolOptions): Promise<ToolResult> {
    try {
      const found = this.registry.resolveTool(tool);
      return this.callTool(found.plugin, found.tool.name, args, opts);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Delivers `hook` to every active subscriber, one after another in load order. A subscriber that
   * fails does not stop the others: its outcome is `{ ok: false, error }` and an 'error' event.
   */
  async dispatch(hook: string, payload?: unknown, opts: CallToolOptions = {}): Promise<HookOutcome[]> {
    this.#assertOpen();
    const outcomes: HookOutcome[] = [];
    for (const entry of this.registry.hookSubscribers(hook)) {
      if (entry.state !== 'active' || !this.#plugins.has(entry.name)) continue;
      try {
        outcomes.push({ plugin: entry.name, ok: true, value: await this.#hook(entry.name, hook, payload, opts) });
      } catch (error) {
        outcomes.push({ plugin: entry.name, ok: false, error: error as Error });
        this.#emitError({ operation: 'dispatch', plugin: entry.name, hook, error: error as Error });
      }
    }
    return outcomes;
  }

  /**
   * The message-transform chain: each active plugin with capability `message_transform`, in load
   * order, receives the message through hook `message_transform` and passes on what it returns
   * (`undefined`/`null` = unchanged). One that fails is skipped with an 'error' event.
   */
  async transformMessage<T>(message: T, opts: CallToolOptions = {}): Promise<T> {
    this.#assertOpen();
    let current = message;
    for (const entry of this.registry.withCapability('message_transform')) {
      if (entry.state !== 'active' || !this.#plugins.has(entry.name)) continue;
      try {
        const next = await this.#hook(entry.name, 'message_transform', current, opts);
        if (next !== undefined && next !== null) current = next as T;
      } catch (error) {
        this.#emitError({ operation: 'transform', plugin: entry.name, hook: 'message_transform', error: error as Error });
      }
    }
    return current;
  }

  /** The adapter of `channel`; `send` goes to its plugin's hook `channel:<channel>`. Throws `CHANNEL_NOT_FOUND`. */
  channel(channel: string): ChannelHandle {
    const owner = this.registry.channelOwner(channel);
    if (!owner) throw new ChannelNotFoundError(channel, Object.keys(this.registry.channels()));
    return {
      channel,
      plugin: owner.name,
      send: (payload, opts = {}) => this.#hook(owner.name, `channel:${channel}`, payload, opts),
    };
  }

  /** What a plugin is and how well its driver contains it. */
  inspect(name: string): PluginInspection {
    const { entry, m } = this.#require(name);
    const driver = m.gen?.driver ?? this.#o.drivers.find((d) => d.supports(entry.manifest));
    return {
      entry,
      driver: driver?.packageName ?? 'none',
      enforcement: driver?.enforcement(entry.manifest) ?? { ...NOTHING_ENFORCED },
      dataDir: this.#dataDirOf(name),
      unsupported: m.gen?.unsupported ?? [],
    };
  }

  /** Unloads every plugin (last loaded first), waits for draining old versions, disposes the drivers, and refuses further work. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#watchers].map((w) => w.close()));
    for (const entry of this.registry.list().reverse()) {
      if (!this.#plugins.has(entry.name)) continue;
      try {
        await this.#lock.run(entry.name, () => this.#unload(entry.name));
      } catch (error) {
        this.#emitError({ operation: 'close', plugin: entry.name, error: error as Error });
      }
    }
    await Promise.allSettled([...this.#background]);
    await Promise.allSettled(this.#o.drivers.map((driver) => driver.dispose?.()));
    this.registry.off('state', this.#forwardState);
  }

  // ── lifecycle internals ────────────────────────────────────────────────────────────────

  async #load(manifest: PluginManifest, fromDir: boolean, opts: LoadOptions): Promise<RegistryEntry> {
    const name = manifest.name;
    return this.#lock.run(name, async () => {
      this.#assertOpen();
      const existing = this.registry.get(name);
      if (existing) {
        if (existing.state !== 'failed' || !this.#plugins.has(name)) throw new DuplicatePluginError(name);
        await this.#unload(name);
      }
      this.registry.register({ manifest, state: 'resolved' }, { replaceSlots: opts.replaceSlots ?? false });
      const m: Managed = {
        name,
        fromDir,
        replaceSlots: opts.replaceSlots ?? false,
        gen: undefined,
        throttle: new Throttle(),
        crashes: new CrashHistory(),
      };
      this.#plugins.set(name, m);
      try {
        const gen = await this.#prepare(m, manifest);
        m.gen = gen;
        this.registry.update(name, { tools: [...gen.tools.values()], hooks: gen.hooks, driver: gen.driver.kind });
        this.registry.setState(name, 'loaded');
      } catch (error) {
        throw this.#markFailed(name, error, 'load');
      }
      return opts.start === false ? this.registry.require(name) : this.registry.setState(name, 'active');
    });
  }

  async #unload(name: string): Promise<void> {
    const { entry, m } = this.#require(name);
    if (entry.state === 'active') this.registry.setState(name, 'stopped');
    m.throttle.clear(new NotActiveError(name, 'stopped'));
    if (m.gen) await this.#retire(m.gen);
    this.#plugins.delete(name);
    this.registry.unregister(name);
  }

  /** Checks `requires`, picks the driver, instantiates, describes and compiles argument validators. */
  async #prepare(m: Managed, manifest: PluginManifest): Promise<Generation> {
    const name = manifest.name;
    if (manifest.requires && !semver.satisfies(this.hostVersion, manifest.requires, { includePrerelease: true })) {
      throw new IncompatibleHostError(name, manifest.requires, this.hostVersion);
    }
    const driver = this.#o.drivers.find((d) => d.supports(manifest));
    if (!driver) {
      throw new DriverMissingError(name, manifest.sandbox, manifest.runtime, this.#o.drivers.map((d) => d.kind), manifest.format);
    }
    const where = { plugin: name, driver: driver.kind };
    const logger = scopedLogger(this.#o.logger, (e) => this.emit('log', e), name);
    const gaps = permissionGaps(driver.enforcement(manifest));
    if (gaps.length) {
      const list = gaps.map((g) => `${g.permission} (${g.level}${g.reason ? `: ${g.reason}` : ''})`).join(', ');
      logger.warn(`the ${driver.kind} driver does not fully enforce: ${list}`, { driver: driver.kind });
    }
    const dataDir = this.#dataDirOf(name);
    await mkdir(dataDir, { recursive: true });
    const policy = this.#o.download;
    const ctx: SandboxContext = {
      manifest,
      dataDir,
      config: Object.freeze({ ...this.#o.config(name) }),
      logger,
      browserDownload: (url, o) => browserDownload(url, { manifest, pluginDataDir: dataDir, policy, ...(o?.signal ? { signal: o.signal } : {}) }),
    };
    let instance: SandboxInstance;
    let described: PluginDescription;
    try {
      ({ instance, described } = await startInstance(this.#deadlines, driver, manifest, ctx, startTimeoutOf(manifest, this.#o.startTimeoutMs)));
    } catch (error) {
      throw asLoadError(error, where);
    }
    try {
      const tools = mergeTools(manifest.tools, described.tools);
      for (const t of manifest.tools) {
        if (!tools.has(t.name)) logger.warn(`manifest declares tool "${t.name}" but the plugin does not offer it`);
      }
      if (described.unsupported?.length) {
        logger.warn(`ignored, not supported by this host: ${described.unsupported.map((u) => `${u.kind} "${u.name}"`).join(', ')}`);
      }
      let validators: Map<string, ValidateFunction>;
      try {
        validators = compileValidators([...tools.values()], logger);
      } catch (error) {
        throw new LoadFailedError((error as Error).message, { ...where, cause: error });
      }
      const ready = deferred<SandboxInstance>();
      ready.resolve(instance);
      const gen: Generation = {
        manifest,
        driver,
        ctx,
        tools,
        hooks: [...new Set([...manifest.hooks, ...described.hooks])],
        unsupported: described.unsupported ?? [],
        validators,
        tracker: new CallTracker(() => gen.drained?.resolve()),
        drained: undefined,
        instance,
        ready,
        unsubscribe: undefined,
        restartTimer: undefined,
        retired: false,
      };
      this.#follow(m, gen, instance);
      return gen;
    } catch (error) {
      await instance.dispose().catch(() => {});
      throw asLoadError(error, where);
    }
  }

  async #replaceGeneration(m: Managed, gen: Generation): Promise<void> {
    const old = m.gen;
    m.gen = gen;
    m.crashes.reset();
    if (old) await this.#retire(old);
  }

  /** Refuses new work for `gen`, waits for its in-flight calls, disposes its instance. Idempotent. */
  async #retire(gen: Generation): Promise<void> {
    if (gen.retired) return;
    gen.retired = true;
    clearTimeout(gen.restartTimer);
    gen.unsubscribe?.();
    if (!gen.ready.settled) gen.ready.reject(new DisposedError({ plugin: gen.manifest.name, driver: gen.driver.kind }));
    const { tracker } = gen;
    if (tracker.size > 0) {
      gen.drained = deferred();
      // Calls still running after the drain window are given up on: they reject with DISPOSED.
      const drainTimeoutMs = this.#o.drainTimeoutMs;
      const giveUp = setTimeout(() => {
        // One error per call: the host fills in each call's tool.
        tracker.failAll(() => new DisposedError({ plugin: gen.manifest.name, driver: gen.driver.kind, data: { drainTimeoutMs } }));
      }, drainTimeoutMs);
      await gen.drained.promise;
      clearTimeout(giveUp);
    }
    const instance = gen.instance;
    gen.instance = undefined;
    try {
      await instance?.dispose();
    } catch (error) {
      this.#emitError({ operation: 'stop', plugin: gen.manifest.name, error: error as Error });
    }
  }

  #track(work: Promise<void>): void {
    this.#background.add(work);
    void work.finally(() => this.#background.delete(work));
  }

  /** Moves the plugin to `failed` (when allowed), tears its instance down and reports it. Returns `error` to rethrow. */
  #markFailed(name: string, error: unknown, operation: HostOperation): Error {
    const err = error instanceof Error ? error : new Error(String(error));
    const m = this.#plugins.get(name);
    const entry = this.registry.get(name);
    if (entry && entry.state !== 'failed') this.registry.setState(name, 'failed', err);
    m?.throttle.clear(new NotActiveError(name, 'failed'));
    if (m?.gen) this.#track(this.#retire(m.gen));
    this.#emitError({ operation, plugin: name, error: err });
    return err;
  }

  // ── crash → restart ────────────────────────────────────────────────────────────────────

  #onExit(m: Managed, gen: Generation, instance: SandboxInstance, info: ExitInfo): void {
    if (info.reason === 'disposed' || gen.retired || m.gen !== gen || gen.instance !== instance) return;
    gen.unsubscribe?.();
    gen.unsubscribe = undefined;
    gen.instance = undefined;
    // An instance that ended on its own may still be releasing (a thread terminating): close() waits for it.
    this.#track(instance.dispose().catch(() => {}));
    gen.ready = deferred();
    this.#crashed(m, gen, info);
  }

  #crashed(m: Managed, gen: Generation, info: ExitInfo): void {
    const policy = this.#o.restart;
    const crashes = m.crashes.record(Date.now(), policy.windowMs);
    const detail = info.message ?? `${info.reason}${info.code != null ? ` (exit code ${info.code})` : ''}${info.signal ? ` (${info.signal})` : ''}`;
    if (crashes >= policy.maxCrashes) {
      this.emit('crash', { plugin: m.name, exit: info, crashes });
      const error = new CrashedError(`${crashes} crashes within ${policy.windowMs} ms, giving up (last: ${detail})`, {
        plugin: m.name,
        driver: gen.driver.kind,
        data: { crashes, windowMs: policy.windowMs, exit: info },
      });
      gen.ready.reject(error);
      this.#markFailed(m.name, error, 'restart');
      return;
    }
    const restartInMs = backoffDelay(policy, crashes);
    this.emit('crash', { plugin: m.name, exit: info, crashes, restartInMs });
    gen.ctx.logger.warn(`plugin crashed (${detail}); restarting in ${restartInMs} ms`, { crashes });
    gen.restartTimer = setTimeout(() => {
      gen.restartTimer = undefined;
      this.#lock.run(m.name, () => this.#restart(m, gen, crashes)).catch((error: Error) => this.#emitError({ operation: 'restart', plugin: m.name, error }));
    }, restartInMs);
  }

  /** Listens to the instance's exit and, if it can announce one, to its description changing. */
  #follow(m: Managed, gen: Generation, instance: SandboxInstance): void {
    const offExit = instance.onExit((info) => this.#onExit(m, gen, instance, info));
    const offDescription = followDescription(instance, gen, () => !gen.retired && m.gen === gen, (tools) => this.registry.update(m.name, { tools }));
    gen.unsubscribe = () => (offExit(), offDescription());
  }

  async #restart(m: Managed, gen: Generation, attempt: number): Promise<void> {
    if (gen.retired || m.gen !== gen || this.registry.get(m.name)?.state !== 'active') return;
    let instance: SandboxInstance;
    try {
      instance = await instantiateWithin(this.#deadlines, gen.driver, gen.manifest, gen.ctx, startTimeoutOf(gen.manifest, this.#o.startTimeoutMs));
    } catch (error) {
      this.#emitError({ operation: 'restart', plugin: m.name, error: error as Error });
      // A restart that fails counts as one more crash.
      this.#crashed(m, gen, { reason: 'crash', message: `restart failed: ${(error as Error)?.message ?? String(error)}` });
      return;
    }
    if (gen.retired || m.gen !== gen) {
      await instance.dispose().catch(() => {});
      return;
    }
    gen.instance = instance;
    this.#follow(m, gen, instance);
    gen.ready.resolve(instance);
    this.emit('restart', { plugin: m.name, attempt });
  }

  // ── calls ──────────────────────────────────────────────────────────────────────────────

  #active(plugin: string): { m: Managed; gen: Generation } {
    this.#assertOpen();
    const { entry, m } = this.#require(plugin);
    if (entry.state !== 'active' || !m.gen) throw new NotActiveError(plugin, entry.state);
    return { m, gen: m.gen };
  }

  #hook(plugin: string, hook: string, payload: unknown, opts: CallToolOptions): Promise<unknown> {
    try {
      const { m, gen } = this.#active(plugin);
      return this.#invoke(m, gen, { plugin, hook, driver: gen.driver.kind }, opts, 0, 'hook', hook, payload);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The policy pipeline every call goes through: throttle → deadline/cancel race (errors wrapped there) → drain tracking. */
  #invoke(
    m: Managed,
    gen: Generation,
    where: CallSite,
    opts: CallToolOptions,
    intervalMs: number,
    kind: 'tool' | 'hook',
    name: string,
    input: unknown,
  ): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? gen.manifest.timeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      throw new InvalidOptionsError('timeoutMs', 'a positive number of milliseconds', timeoutMs);
    }
    const { signal } = opts;
    if (signal?.aborted) throw new CancelledError({ ...where, reason: signal.reason });
    const start = (current: Generation) =>
      raceCall(this.#deadlines, where, timeoutMs, opts, (o, started) => this.#send(current, kind, name, input, o, started), current.tracker);
    const queued = m.throttle.wait(intervalMs, signal);
    if (!queued) return start(gen);
    return queued.then(
      // After waiting, the call goes to whatever version is serving now (a reload may have happened).
      () => start(this.#active(m.name).gen),
      (error: unknown) => {
        throw signal?.aborted ? new CancelledError({ ...where, reason: signal.reason }) : wrapCallError(error, where);
      },
    );
  }

  /** Hands one call to the instance, waiting for a restart in progress within the same deadline. */
  #send(gen: Generation, kind: 'tool' | 'hook', name: string, input: unknown, o: CallOptions, started: number): Promise<unknown> {
    const instance = gen.instance;
    if (instance) return deliver(instance, kind, name, input, o);
    return gen.ready.promise.then((next) => {
      const timeoutMs = Math.max(1, o.timeoutMs - (performance.now() - started));
      return deliver(next, kind, name, input, new LazySignalOptions(timeoutMs, { driverSignal: () => o.signal, abortHook: abortHookOf(o) }, o.onProgress));
    });
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────

  async #manifestOf(source: string | PluginManifest): Promise<{ manifest: PluginManifest; fromDir: boolean }> {
    if (typeof source !== 'string') return { manifest: source, fromDir: false };
    if (isPathLike(source)) return { manifest: await this.#readDir(path.resolve(source)), fromDir: true };
    const found = await resolvePlugin(source, this.#o.pluginDirs);
    this.#logManifestWarnings(found);
    return { manifest: found, fromDir: true };
  }

  async #readDir(dir: string): Promise<PluginManifest> {
    const manifest = await loadManifest(dir);
    this.#logManifestWarnings(manifest);
    return manifest;
  }

  #logManifestWarnings(manifest: PluginManifest & { warnings?: string[] }): void {
    for (const w of manifest.warnings ?? []) this.#log.warn(w, { plugin: manifest.name });
  }

  #require(name: string): { entry: RegistryEntry; m: Managed } {
    const entry = this.registry.require(name);
    const m = this.#plugins.get(name);
    if (!m) throw new HostError('PLUGIN_NOT_FOUND', `plugin "${name}" is registered but was not loaded by this host`, { plugin: name });
    return { entry, m };
  }

  #genOf(m: Managed): Generation {
    if (!m.gen) throw new HostError('PLUGIN_NOT_FOUND', `plugin "${m.name}" has no loaded version`, { plugin: m.name });
    return m.gen;
  }

  #assertTransition(entry: RegistryEntry, to: RegistryEntry['state']): void {
    if (!TRANSITIONS[entry.state].includes(to)) {
      throw new InvalidTransitionError(entry.name, entry.state, to, TRANSITIONS[entry.state]);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new HostClosedError();
  }

  #dataDirOf(name: string): string {
    // Names may hold '/' or '@' (npm scopes): encode so each plugin gets exactly one directory.
    return path.join(this.#o.dataDir, encodeURIComponent(name).replace(/^\.+$/, (d) => '%2E'.repeat(d.length)));
  }

  #emitError(event: HostErrorEvent): void {
    this.#log.error(event.error.message, { plugin: event.plugin, operation: event.operation, ...(event.hook ? { hook: event.hook } : {}) });
    if (this.listenerCount('error') > 0) this.emit('error', event);
  }
}

function deliver(instance: SandboxInstance, kind: 'tool' | 'hook', name: string, input: unknown, o: CallOptions): Promise<unknown> {
  // The native driver's direct path: the host's race already guards it.
  const direct = (instance as { [IN_PROCESS_CALL]?: InProcessCall })[IN_PROCESS_CALL];
  if (direct) return direct(kind, name, input, o);
  return kind === 'tool' ? instance.callTool(name, input, o) : instance.dispatch(name, input, o);
}

/** Described tools win; a tool the manifest also declares lends its schema/description where missing. */
function asLoadError(error: unknown, where: { plugin: string; driver: string }): Error {
  if (isSandboxError(error) || error instanceof HostError) return wrapCallError(error, where);
  return new LoadFailedError((error as Error)?.message ?? String(error), { ...where, cause: error });
}
