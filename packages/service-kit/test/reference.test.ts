/** The configuration reference rendered from a schema, and spliced into a README between its markers. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  int,
  meta,
  REFERENCE_END,
  REFERENCE_START,
  renderConfigReference,
  spliceReference,
} from '../src/index.js';

const schema = z.object({
  NAME: meta(z.string(), { description: 'Who | what.' }),
  PORT: meta(int(1, 65535).prefault('8000'), { description: 'A port.' }),
  MODE: meta(z.enum(['a', 'b']).prefault('a'), { description: 'A mode.' }),
  TOKEN: meta(z.string().optional(), { description: 'A token.', secret: true, format: 'text' }),
});

describe('renderConfigReference', () => {
  it('renders every variable with its format, default and meaning, aligned', () => {
    const lines = renderConfigReference(schema).split('\n');
    expect(lines[0]).toBe(REFERENCE_START);
    expect(lines.at(-1)).toBe(REFERENCE_END);
    const rows = lines
      .slice(3, -1)
      .map((l) => l.split(/ \| /).map((c) => c.replace(/^\| |\s+\|?$/g, '').trim()));
    expect(rows).toEqual([
      ['`NAME`', 'string', '**required**', 'Who \\| what.'],
      ['`PORT`', 'integer', '`8000`', 'A port.'],
      ['`MODE`', '`a` \\| `b`', '`a`', 'A mode.'],
      [
        '`TOKEN`',
        'text',
        '—',
        'A token. _Secret: never logged; or read from the file named by `TOKEN_FILE`._',
      ],
    ]);
    expect(new Set(lines.slice(1, -1).map((l) => l.length)).size).toBe(1);
  });

  it('splices the reference between the markers and refuses a README without them', () => {
    const readme = `# x\n\n${REFERENCE_START}\nold\n${REFERENCE_END}\n\nafter\n`;
    const spliced = spliceReference(readme, renderConfigReference(schema));
    expect(spliced).toContain('`PORT`');
    expect(spliced.endsWith('\n\nafter\n')).toBe(true);
    expect(spliceReference(spliced, renderConfigReference(schema))).toBe(spliced);
    expect(() => spliceReference('# no markers', 'x')).toThrow(/no configuration reference markers/);
  });
});
