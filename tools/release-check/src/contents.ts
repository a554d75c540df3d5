// What a user of a published package needs: the built code, its types, the README, the manifest
// and the licence/changelog npm always adds. Sources, tests, configs and reports are noise or leaks.
const ALWAYS_ALLOWED: readonly RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^LICEN[CS]E(\.md|\.txt)?$/i,
  /^dist\//,
];

// Directories a package ships on purpose, beyond dist/.
export const EXTRA_DIRECTORIES: Readonly<Record<string, readonly string[]>> = {
  // The JSON Schema of plugin.json5, exported as @clawdesk/manifest/schema.json.
  '@clawdesk/manifest': ['schema/'],
  // AssemblyScript sources plugin authors compile into their wasm plugins.
  '@clawdesk/plugin-sdk': ['assembly/'],
};

// Never wanted, even inside an allowed directory (a stray test build in dist/, say).
const NEVER_ALLOWED: readonly RegExp[] = [
  /(^|\/)(src|test|tests|__tests__|reports|node_modules|coverage)\//,
  /\.(test|spec)\.[cm]?[jt]sx?$/,
  /(^|\/)tsconfig[^/]*\.json$/,
  /(^|\/)jest\.config\.[cm]?[jt]s$/,
  /\.tsbuildinfo$/,
  /\.tgz$/,
];

/** The packed files a user would not need, for the package `name`. Empty when the tarball is clean. */
export function unexpectedFiles(name: string, files: readonly string[]): string[] {
  const extra = EXTRA_DIRECTORIES[name] ?? [];
  return files.filter((file) => {
    if (NEVER_ALLOWED.some((pattern) => pattern.test(file))) return true;
    const allowed = ALWAYS_ALLOWED.some((pattern) => pattern.test(file)) || extra.some((dir) => file.startsWith(dir));
    return !allowed;
  });
}
