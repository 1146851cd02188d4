/**
 * The `profiles` part of charts/canary-judge/values.schema.json is generated from the zod
 * schema the service loads profiles with (scripts/chart-schema.ts): the committed file must
 * equal the generated one, so the chart and the service cannot drift apart.
 */
import fs from 'node:fs';
import { chartValuesSchema, VALUES_SCHEMA } from '../../scripts/chart-schema';
import { profileMapJsonSchema } from '../../src/profiles/profiles-json-schema';

describe('values.schema.json', () => {
  it('equals the generated schema (run `npm run schema:chart` after changing the profile or metric schemas)', () => {
    expect(fs.readFileSync(VALUES_SCHEMA, 'utf8')).toBe(chartValuesSchema());
  });

  it('describes profiles with the service rules: template names, metric-name syntax, one metric at least, profile-name syntax', () => {
    const profiles = profileMapJsonSchema() as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const profile = profiles.additionalProperties;
    expect(profiles.propertyNames.pattern).toBe('^[a-z0-9][a-z0-9._-]{0,62}$');
    expect(profile.required).toEqual(['metrics']);
    expect(profile.properties.metrics.minItems).toBe(1);
    const metric = profile.properties.metrics.items;
    expect(metric.properties.template.enum).toContain('istio-latency');
    expect(metric.properties.template.enum).not.toContain('istio-latncy');
    expect(metric.properties.metric.pattern).toBe('^[a-zA-Z_:][a-zA-Z0-9_:]*$');
    expect(metric.required).toEqual(expect.arrayContaining(['name', 'template']));
    expect(metric.allOf).toContainEqual({ if: { properties: { template: { const: 'histogram' } }, required: ['template'] }, then: { required: ['metric'] } });
  });
});
