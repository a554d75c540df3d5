import { z } from 'zod';
import { manifestSchema } from './schema.js';

/**
 * JSON Schema (draft 2020-12) of `plugin.json5`, generated from the zod schema's input side.
 * Cross-field rules (name or id, sandbox vs runtime, unique tool names…) are not expressible here;
 * `parseManifest` checks them. Also shipped as `@clawdesk/manifest/schema.json`.
 */
export const manifestJsonSchema: Record<string, unknown> = z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-2020-12' });
