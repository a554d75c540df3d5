// Regenerates schema/plugin.schema.json from the built package (run `npm run schema`, which builds first).
import { writeFileSync } from 'node:fs';
import { manifestJsonSchema } from '../dist/index.js';

const target = new URL('../schema/plugin.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(manifestJsonSchema, null, 2)}\n`);
