import path from 'node:path';
import { loadManifest, ManifestError, type PluginManifest } from '@clawdesk/manifest';
import type { RegistryEntry } from '@clawdesk/registry';
import type { Logger } from '@clawdesk/sandbox';
import type { FSWatcher } from 'chokidar';
import { InvalidOptionsError } from './errors.js';

export interface WatchOptions {
  /** Quiet time after the last change inside one plugin directory before the host acts on it. Default 200 ms. */
  debounceMs?: number;
}

/** A running watch started by `host.watch`. */
export interface PluginWatcher {
  /** The watched directories, absolute. */
  readonly dirs: readonly string[];
  /** Stops watching and waits for an action already running; pending ones are dropped. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_DEBOUNCE_MS = 200;

/** Directory levels chokidar follows below a watched root; the plugin directory is the first. */
const PLUGIN_DEPTH = 8;

/** The host operations the watcher and the installer drive (the host itself, in practice). */
export interface PluginLifecycle {
  list(): RegistryEntry[];
  load(dir: string): Promise<RegistryEntry>;
  reload(name: string): Promise<RegistryEntry>;
  unload(name: string): Promise<void>;
}

export interface WatchContext {
  /** The host's data root: never watched (plugins write there). */
  dataDir: string;
  logger: Logger;
  /** Reports a failure nobody awaits (the host's 'error' event). */
  report(operation: 'load' | 'unload' | 'watch', error: Error, plugin?: string): void;
  /** Called once when the watcher closes. */
  onClose(watcher: PluginWatcher): void;
}

/** Per plugin directory: a debounce timer and at most one action running plus one queued. */
interface Slot {
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  again: boolean;
}

/**
 * Watches directories of plugin directories (like `pluginDirs`). Changes are grouped per plugin
 * directory and debounced; then the directory's manifest decides: present and loaded from there →
 * reload, present and not loaded → load, gone → unload. Editors' temp-file-and-rename saves and
 * bursts of writes therefore end in one action. Hidden top-level entries (such as install staging),
 * `node_modules`, `.git` and the host's data dir are ignored.
 */
export async function watchPlugins(target: PluginLifecycle, dirs: readonly string[], opts: WatchOptions, ctx: WatchContext): Promise<PluginWatcher> {
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  if (typeof debounceMs !== 'number' || !Number.isFinite(debounceMs) || debounceMs < 0) {
    throw new InvalidOptionsError('debounceMs', 'a finite number of milliseconds >= 0', debounceMs);
  }
  if (!Array.isArray(dirs) || dirs.some((d) => typeof d !== 'string' || d === '')) {
    throw new InvalidOptionsError('dirs', 'an array of directory paths', dirs);
  }
  const roots = [...new Set(dirs.map((d) => path.resolve(d)))];
  // Longest first, so a root nested in another one claims its own paths.
  const byDepth = [...roots].sort((a, b) => b.length - a.length);
  const dataDir = path.resolve(ctx.dataDir);
  const ignoreData = !roots.some((r) => r === dataDir || isInside(dataDir, r));

  /** The plugin directory a path belongs to, and the path's segments below the watched root. */
  const locate = (p: string): { pluginDir: string; segments: string[] } | undefined => {
    for (const root of byDepth) {
      const rel = path.relative(root, p);
      if (!isBelow(rel)) continue;
      const segments = rel.split(path.sep);
      return { pluginDir: path.join(root, segments[0] as string), segments };
    }
    return undefined;
  };

  const ignored = (p: string): boolean => {
    if (ignoreData && (p === dataDir || isInside(dataDir, p))) return true;
    const at = locate(path.resolve(p));
    if (!at) return false;
    const [top, ...rest] = at.segments;
    return (top as string).startsWith('.') || rest.some((s) => s === 'node_modules' || s === '.git');
  };

  const slots = new Map<string, Slot>();
  let closed = false;

  const sync = async (pluginDir: string): Promise<void> => {
    const entry = target.list().find((e) => path.resolve(e.manifest.dir) === pluginDir);
    let manifest: PluginManifest | undefined;
    let missing = false;
    try {
      manifest = await loadManifest(pluginDir);
    } catch (error) {
      missing = error instanceof ManifestError && error.code === 'MANIFEST_NOT_FOUND';
    }
    if (closed) return;
    if (missing) {
      if (entry) await target.unload(entry.name).catch((error: Error) => report('unload', error, entry.name));
      return;
    }
    if (entry && manifest && manifest.name !== entry.name) {
      // Renamed in place: a different plugin now lives here.
      await target.unload(entry.name).catch((error: Error) => report('unload', error, entry.name));
      await loadFrom(pluginDir);
    } else if (entry) {
      // The host re-reads the manifest; a broken one fails there, as 'reload-failed', and the old version keeps serving.
      await target.reload(entry.name).catch(() => {});
    } else {
      await loadFrom(pluginDir);
    }
  };

  const loadFrom = async (pluginDir: string): Promise<void> => {
    try {
      await target.load(pluginDir);
    } catch (error) {
      // A plugin that got as far as the registry was reported by the host when it was marked failed.
      if (!target.list().some((e) => e.error === error)) report('load', error as Error);
    }
  };

  const report = (operation: 'load' | 'unload' | 'watch', error: Error, plugin?: string) => {
    if (closed || (error as { code?: unknown }).code === 'HOST_CLOSED') return;
    ctx.report(operation, error, plugin);
  };

  const run = (pluginDir: string, slot: Slot): void => {
    slot.again = false;
    slot.running = sync(pluginDir)
      .catch((error: Error) => report('watch', error))
      .finally(() => {
        slot.running = undefined;
        if (slot.again && !closed) run(pluginDir, slot);
        else if (!slot.timer) slots.delete(pluginDir);
      });
  };

  const schedule = (pluginDir: string): void => {
    if (closed) return;
    let slot = slots.get(pluginDir);
    if (!slot) {
      slot = { timer: undefined, running: undefined, again: false };
      slots.set(pluginDir, slot);
    }
    const s = slot;
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      // A change during an action queues exactly one more.
      if (s.running) s.again = true;
      else run(pluginDir, s);
    }, debounceMs);
  };

  const onEvent = (event: string, p: string): void => {
    const at = locate(path.resolve(p));
    if (!at) return;
    // A plain file directly in a watched root is not a plugin.
    if (at.segments.length === 1 && event !== 'addDir' && event !== 'unlinkDir') return;
    schedule(at.pluginDir);
  };

  const { watch } = await import('chokidar');
  const fsw: FSWatcher = watch(roots, { ignoreInitial: true, ignored, depth: PLUGIN_DEPTH, persistent: true });
  fsw.on('all', onEvent);
  fsw.on('error', (error: unknown) => report('watch', error instanceof Error ? error : new Error(String(error))));
  await new Promise<void>((resolve) => fsw.once('ready', resolve));
  ctx.logger.debug(`watching ${roots.join(', ')}`, { debounceMs });

  let closing: Promise<void> | undefined;
  const watcher: PluginWatcher = {
    dirs: roots,
    close: () => {
      closing ??= (async () => {
        closed = true;
        for (const slot of slots.values()) clearTimeout(slot.timer);
        await fsw.close();
        await Promise.allSettled([...slots.values()].map((s) => s.running));
        slots.clear();
        ctx.onClose(watcher);
      })();
      return closing;
    },
  };
  return watcher;
}

function isInside(parent: string, child: string): boolean {
  return isBelow(path.relative(parent, child));
}

/** A `path.relative` result that points strictly below its base. */
function isBelow(rel: string): boolean {
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
