import { jestConfig } from '../../jest.base.mjs';

// One file at a time: timeout and latency checks must not compete with each other for 2 cores.
export default jestConfig({ maxWorkers: 1 });
