import { jestConfig } from '../../jest.base.mjs';

// One worker: timing checks (timeouts, throttling, the conformance suite) stay meaningful on a loaded machine.
export default jestConfig({ maxWorkers: 1 });
