import { jestConfig } from '../../jest.base.mjs';

// Each test file spawns real plugin processes; one worker keeps them from starving each other.
export default jestConfig({ maxWorkers: 1, testTimeout: 30000 });
