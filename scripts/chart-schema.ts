/**
 * `npm run schema:chart`: writes the `profiles` part of charts/canary-judge/values.schema.json
 * from the zod schema the service loads PROFILES_FILE with (src/profiles/profiles.ts), so
 * `helm install` refuses what the service would refuse at start (a pod in CrashLoopBackOff).
 * test/chart/chart-schema.test.ts fails when the committed file differs from this output.
 * `--check` exits 1 instead of writing when the file is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { profileMapJsonSchema } from '../src/profiles/profiles-json-schema';

export const VALUES_SCHEMA = path.join(__dirname, '..', 'charts', 'canary-judge', 'values.schema.json');

type JsonSchema = Record<string, unknown>;

function chartProfilesSchema(): JsonSchema {
  return { description: 'Named profiles; generated from src/profiles/profiles.ts by `npm run schema:chart`.', ...profileMapJsonSchema() };
}

/** The whole values schema: the committed file with its `profiles` part regenerated. */
export function chartValuesSchema(): string {
  const current = JSON.parse(fs.readFileSync(VALUES_SCHEMA, 'utf8')) as { properties: JsonSchema };
  current.properties.profiles = chartProfilesSchema();
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
