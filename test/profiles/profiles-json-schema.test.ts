/** The generated JSON Schema of a profiles file is as strict as the loader (issue 15). */
import Ajv2020 from 'ajv/dist/2020';
import { profilesJsonSchema } from '../../src/profiles/profiles-json-schema';

const validate = new Ajv2020({ strict: false, allErrors: true }).compile(profilesJsonSchema());
const profile = (metric: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ profiles: { p: { metrics: [{ name: 'l', template: 'istio-latency', ...metric }], ...extra } } });

describe('profiles JSON Schema', () => {
  it('accepts a valid profile', () => {
    expect(validate(profile({ margin: { relative: 0.1 }, critical: true, statistic: 'p99' }, { alpha: 0.01, thresholds: { pass: 100 } }))).toBe(true);
  });

  it.each([
    ['a misspelt metric key', profile({ margn: { relative: 0.1 } }), '/profiles/p/metrics/0', 'margn'],
    ['a misspelt margin key', profile({ margin: { relativ: 0.1 } }), '/profiles/p/metrics/0/margin', 'relativ'],
    ['a misspelt profile key', profile({}, { thresholds: { pas: 1 } }), '/profiles/p/thresholds', 'pas'],
    ['a misspelt top-level key', { profile: {} }, '', 'profile'],
  ])('refuses %s, naming it', (_label, document, at, key) => {
    expect(validate(document)).toBe(false);
    expect(validate.errors).toEqual(expect.arrayContaining([expect.objectContaining({ instancePath: at, keyword: 'additionalProperties', params: { additionalProperty: key } })]));
  });

  it('refuses an unknown template', () => {
    expect(validate(profile({ template: 'istio-latncy' }))).toBe(false);
  });
});
