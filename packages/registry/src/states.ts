/**
 * The plugin lifecycle shared by the registry and the host.
 *
 * ```
 * resolved ──▶ loaded ──▶ active ──▶ stopped
 *                 ▲          │  ▲        │
 *                 └─ reload ─┘  └─ start ┘   (reload also from stopped and failed)
 * any of resolved/loaded/active/stopped ──▶ failed
 * ```
 */
export type PluginState = 'resolved' | 'loaded' | 'active' | 'stopped' | 'failed';

export const PLUGIN_STATES: readonly PluginState[] = ['resolved', 'loaded', 'active', 'stopped', 'failed'];

/** Every allowed `from → to`. Anything else is an `InvalidTransitionError`. */
export const TRANSITIONS: Readonly<Record<PluginState, readonly PluginState[]>> = {
  resolved: ['loaded', 'failed'],
  loaded: ['active', 'stopped', 'failed'],
  active: ['stopped', 'loaded', 'failed'],
  stopped: ['active', 'loaded', 'failed'],
  failed: ['loaded'],
};

export function canTransition(from: PluginState, to: PluginState): boolean {
  return TRANSITIONS[from].includes(to);
}
