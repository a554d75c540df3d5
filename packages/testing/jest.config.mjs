import { jestConfig } from '../../jest.base.mjs';

// Plugins start real sandboxes (child processes, wasm workers): one suite at a time on small machines.
export default jestConfig({ maxWorkers: 1, testTimeout: 60000 });
