import semver from 'semver';
import { engineConstraints, FEATURE_FLOORS } from '../src/engines.js';
import { listPublishablePackages } from '../src/workspace.js';

// `engines.node` must be exactly what a package needs: every Node version it admits satisfies every
// `engines.node` in its production dependency tree (as the lockfile resolves it) and the floors of
// the Node features its code uses — and every version that satisfies all of those is admitted.

/** Node releases to judge ranges by: 22.0.0 … 27.30.5. */
const VERSIONS = [22, 23, 24, 25, 26, 27].flatMap((major) =>
  Array.from({ length: 31 }, (_, minor) => Array.from({ length: 6 }, (_, patch) => `${major}.${minor}.${patch}`)).flat(),
);

describe.each(listPublishablePackages().map((pkg) => [pkg.name, pkg] as const))('%s', (name, pkg) => {
  const declared = pkg.packageJson.engines?.node ?? '';
  const constraints = [
    ...engineConstraints(pkg.relativeDir),
    ...(FEATURE_FLOORS[name] ?? []).map(({ feature, range }) => ({ from: feature, via: 'its own code', range })),
  ];

  test('admits no Node that a production dependency or a feature it uses rules out', () => {
    const violations = constraints.flatMap((c) => {
      const admitted = VERSIONS.filter((v) => semver.satisfies(v, declared) && !semver.satisfies(v, c.range));
      return admitted.length === 0 ? [] : [`${c.from} (${c.via}) needs node ${c.range}, but engines "${declared}" admits ${admitted[0]}`];
    });
    expect(violations).toEqual([]);
  });

  test('refuses no Node that all of them accept (the range is not stricter than needed)', () => {
    const refused = VERSIONS.filter((v) => !semver.satisfies(v, declared) && constraints.every((c) => semver.satisfies(v, c.range)));
    expect(refused.slice(0, 5)).toEqual([]);
  });
});
