/**
 * The JSON Schema of a profiles file, generated from the zod schema the service loads it with,
 * so a checker outside the service (the Helm chart's values.schema.json, an editor) can apply
 * the same strict rules without a second hand-written copy. Cross-field rules (a histogram
 * template needs `metric`, a margin above 1 needs its opt-in) stay with the service's check.
 *
 *   npm run schema:profiles > profiles.schema.json
 */
import { z } from 'zod';
import { profilesFileSchema } from './profiles';

export function profilesJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(profilesFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
