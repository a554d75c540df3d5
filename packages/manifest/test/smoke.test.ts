import { placeholder } from '../src/index.js';
import JSON5 from 'json5';
test('smoke', () => { expect(placeholder + JSON5.parse('{a:1}').a).toBe(2); });
