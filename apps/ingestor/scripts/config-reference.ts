/** Writes the configuration reference generated from the zod schema into README.md (`pnpm docs:config`). */
import { fileURLToPath } from 'node:url';
import { writeConfigReference } from '@delta-writer/service-kit';
import { EnvSchema } from '../src/config/schema.js';

console.log(
  `README.md ${writeConfigReference(fileURLToPath(new URL('../README.md', import.meta.url)), EnvSchema)}`,
);
