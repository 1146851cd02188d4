/**
 * The JSON Schema of profiles, generated from the zod schemas the service loads them with, so a
 * checker outside the service (the Helm chart's values.schema.json, an editor) applies the same
 * strict rules without a second hand-written copy. Refinements do not export, so each
 * template's required fields are added as if/then rules; the remaining cross-field rules (a
 * margin above 1 needs its opt-in, a statistic beside a threshold) stay with the service.
 *
 *   npm run schema:profiles > profiles.schema.json   (a whole PROFILES_FILE)
 *   npm run schema:chart                              (the chart's `profiles` value)
 */
import { z } from 'zod';
import { profileMapSchema, profilesFileSchema } from './profiles';

type JsonSchema = Record<string, unknown>;

/** What the template of a metric needs beside it (the zod refinement of templateMetricSchema). */
const TEMPLATE_NEEDS: Record<string, string[]> = {
  histogram: ['metric'],
  categorical: ['metric', 'by'],
  proportion: ['events', 'total'],
  query: ['query'],
};

/** The profile map (`profiles:` of a file, the chart's `profiles` value), draft-07 for Helm. */
export function profileMapJsonSchema(): JsonSchema {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(profileMapSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  const metric = (((schema.additionalProperties as JsonSchema).properties as JsonSchema).metrics as JsonSchema).items as JsonSchema;
  metric.allOf = Object.entries(TEMPLATE_NEEDS).map(([template, fields]) => ({
    if: { properties: { template: { const: template } }, required: ['template'] },
    then: { required: fields },
  }));
  return schema;
}

/** A whole profiles file. */
export function profilesJsonSchema(): JsonSchema {
  const { $schema: _ignored, ...file } = z.toJSONSchema(profilesFileSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  return { ...file, properties: { profiles: profileMapJsonSchema() } };
}
