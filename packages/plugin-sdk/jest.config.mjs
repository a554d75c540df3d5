import { jestConfig } from '../../jest.base.mjs';

// One worker: the conformance suite measures timeouts and open handles, which parallel tests would skew.
export default jestConfig({ maxWorkers: 1 });
