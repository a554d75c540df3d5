import { jestConfig } from '../../jest.base.mjs';

// The CLI is spawned as a user would run it; one suite at a time keeps timings honest on small machines.
export default jestConfig({ maxWorkers: 1, testTimeout: 60000 });
