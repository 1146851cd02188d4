/**
 * `npm run schema:chart`: writes the `profiles` part of charts/canary-judge/values.schema.json
 * from the zod schema the service loads PROFILES_FILE with (src/profiles/profiles.ts), so
 * `helm install` refuses what the service would refuse at start (a pod in CrashLoopBackOff).
 * test/chart/chart-schema.test.ts fails when the committed file differs from this output.
 * `--check` exits 1 instead of writing when the file is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { profileMapSchema } from '../src/profiles/profiles';

export const VALUES_SCHEMA = path.join(__dirname, '..', 'charts', 'canary-judge', 'values.schema.json');

type JsonSchema = Record<string, unknown>;

/**
 * Rules the zod schema checks in refinements, which JSON Schema export cannot see: each
 * template's required fields. Written as draft-07 if/then so that Helm checks them too; the
 * chart test proves each one against both Helm and loadProfiles.
 */
const TEMPLATE_NEEDS: Record<string, string[]> = {
  histogram: ['metric'],
  categorical: ['metric', 'by'],
  proportion: ['events', 'total'],
  query: ['query'],
};

export function profilesJsonSchema(): JsonSchema {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(profileMapSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  const metric = (((schema.additionalProperties as JsonSchema).properties as JsonSchema).metrics as JsonSchema).items as JsonSchema;
  metric.allOf = Object.entries(TEMPLATE_NEEDS).map(([template, fields]) => ({
    if: { properties: { template: { const: template } }, required: ['template'] },
    then: { required: fields },
  }));
  return { description: 'Named profiles; generated from src/profiles/profiles.ts by `npm run schema:chart`.', ...schema };
}

/** The whole values schema: the committed file with its `profiles` part regenerated. */
export function chartValuesSchema(): string {
  const current = JSON.parse(fs.readFileSync(VALUES_SCHEMA, 'utf8')) as { properties: JsonSchema };
  current.properties.profiles = profilesJsonSchema();
  return `${JSON.stringify(current, null, 2)}\n`;
}

if (require.main === module) {
  const wanted = chartValuesSchema();
  if (process.argv.includes('--check')) {
    if (fs.readFileSync(VALUES_SCHEMA, 'utf8') !== wanted) {
      console.error(`${VALUES_SCHEMA} is stale: run npm run schema:chart`);
      process.exit(1);
    }
  } else fs.writeFileSync(VALUES_SCHEMA, wanted);
}
