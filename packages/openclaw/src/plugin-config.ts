import type { PluginManifest } from '@clawdesk/manifest';
import { LoadFailedError, schemaProblems } from '@clawdesk/sandbox';
import { Ajv } from 'ajv';

/**
 * The plugin's config checked against the manifest's `configSchema` (as OpenClaw does before
 * `register`), with the schema's defaults filled in. Invalid config is a `LoadFailedError` whose
 * message names every failing field; `data.problems` lists them.
 */
export function validatePluginConfig(manifest: PluginManifest, config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const value = structuredClone({ ...config }) as Record<string, unknown>;
  const schema = manifest.configSchema;
  if (!schema) return value;
  const where = { plugin: manifest.name, driver: 'process' };
  // `logger: false`: ajv's default logger is the console (`unknown format "uri" ignored`).
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, logger: false });
  const { $schema: _ignored, ...rest } = schema;
  let validate;
  try {
    validate = ajv.compile(rest);
  } catch (error) {
    throw new LoadFailedError(`its configSchema is not a valid JSON Schema: ${(error as Error).message}`, { ...where, cause: error });
  }
  if (validate(value)) return value;
  const problems = schemaProblems(validate.errors);
  const list = problems.map((p) => `${p.path ? `config.${p.path}` : 'config'} ${p.message}`).join('; ');
  throw new LoadFailedError(`its config does not match the configSchema of ${manifest.manifestFile}: ${list}`, { ...where, data: { problems } });
}
