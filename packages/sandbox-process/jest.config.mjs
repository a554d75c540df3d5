import { jestConfig } from '../../jest.base.mjs';

// One worker: the conformance suite and the timeout tests measure time; parallel suites of child processes would skew it.
export default jestConfig({ maxWorkers: 1 });
