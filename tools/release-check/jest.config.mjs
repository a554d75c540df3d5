import { jestConfig } from '../../jest.base.mjs';

// One worker: the checks spawn npm, attw and changesets, which are CPU-heavy on small shared machines.
export default jestConfig({ maxWorkers: 1, testTimeout: 120000 });
