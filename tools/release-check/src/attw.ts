import path from 'node:path';
import { run } from './run.js';
import { repoRoot } from './workspace.js';

const attwBin = path.join(repoRoot, 'node_modules/@arethetypeswrong/cli/dist/index.js');

/**
 * Every package declares `engines.node: ">=22"`, whose resolution honours the exports map. The
 * `node10` resolution (TypeScript's `moduleResolution: node`) ignores it and cannot see subpaths
 * such as `@clawdesk/sandbox/conformance`, so its findings are irrelevant. This is attw's
 * `--profile node16`.
 */
export const ATTW_PROFILE = 'node16';
export const IGNORED_RESOLUTIONS: readonly string[] = ['node10'];

/** One attw finding, e.g. `{ kind: 'FalseCJS', entrypoint: '.', resolutionKind: 'node16-cjs' }`. */
export interface TypeProblem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
  [detail: string]: unknown;
}

export interface TypesReport {
  /** `included` when the package ships its own .d.ts files; `false` when attw found no types. */
  typesKind: string | false;
  /** Problems under the profile, i.e. without the ignored resolutions. */
  problems: TypeProblem[];
  exitCode: number;
}

interface AttwJson {
  analysis: { types: false | { kind: string }; problems?: TypeProblem[] };
}

/** Runs the attw CLI on a packed tarball, as CI would, and keeps the problems its profile counts. */
export async function checkTypes(tarball: string): Promise<TypesReport> {
  const result = await run(
    process.execPath,
    [attwBin, tarball, '--format', 'json', '--profile', ATTW_PROFILE, '--no-color'],
    { cwd: path.dirname(tarball) },
  );
  let json: AttwJson;
  try {
    json = JSON.parse(result.stdout) as AttwJson;
  } catch {
    throw new Error(`attw ${tarball} exited with ${result.code} without a JSON report:\n${result.stdout}\n${result.stderr}`);
  }
  const problems = (json.analysis.problems ?? []).filter(
    (problem) => problem.resolutionKind === undefined || !IGNORED_RESOLUTIONS.includes(problem.resolutionKind),
  );
  return {
    typesKind: json.analysis.types === false ? false : json.analysis.types.kind,
    problems,
    exitCode: result.code,
  };
}

/** `FalseESM at "." (node16-cjs) index.d.ts -> index.cjs`: the kind, where, and the files involved. */
export function describeProblem(problem: TypeProblem): string {
  const { kind, entrypoint, resolutionKind, ...details } = problem;
  const where = entrypoint === undefined ? '' : ` at "${entrypoint}"`;
  const how = resolutionKind === undefined ? '' : ` (${resolutionKind})`;
  // attw's file names are inside a virtual /node_modules/<name>/; the package-relative part is enough.
  const files = Object.values(details)
    .filter((value): value is string => typeof value === 'string')
    .map((value) => value.replace(/^\/node_modules\/(@[^/]+\/)?[^/]+\//, ''));
  return `${kind}${where}${how}${files.length === 0 ? '' : ` ${files.join(' -> ')}`}`;
}
