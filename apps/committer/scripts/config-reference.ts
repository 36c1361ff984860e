/** Writes the configuration reference generated from the zod schema into README.md (`pnpm docs:config`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference, spliceReference } from '../src/config/reference.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readme, 'utf8');
const after = spliceReference(before, renderConfigReference());
if (after !== before) writeFileSync(readme, after);
console.log(
  after === before
    ? 'README.md configuration reference is up to date'
    : 'README.md configuration reference updated',
);
