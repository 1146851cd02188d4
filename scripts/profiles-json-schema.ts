/** Prints the JSON Schema of a profiles file (see src/profiles/profiles-json-schema.ts). */
import { profilesJsonSchema } from '../src/profiles/profiles-json-schema';

process.stdout.write(`${JSON.stringify(profilesJsonSchema(), null, 2)}\n`);
