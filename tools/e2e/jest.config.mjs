import { jestConfig } from '../../jest.base.mjs';

// One worker: hostile plugins burn CPU on purpose and timing assertions need the core.
export default jestConfig({ maxWorkers: 1, testTimeout: 60000 });
