/** Placeholders a manifest's `args` may use; anything else in `${…}` is left as written. */
export interface ArgVariables {
  pluginDir: string;
  dataDir: string;
}

/** The manifest's `args` with `${pluginDir}` and `${dataDir}` replaced by absolute paths. Never a shell: each arg stays one argv entry. */
export function expandArgs(args: readonly string[] | undefined, vars: ArgVariables): string[] {
  return (args ?? []).map((arg) => arg.replace(/\$\{(pluginDir|dataDir)\}/g, (_, name: keyof ArgVariables) => vars[name]));
}
