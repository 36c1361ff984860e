import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's test data (`<repo>/testdata`, see its README for where each file came from). */
export const TESTDATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../../testdata');

export function testdataFile(...parts: string[]): string {
  return readFileSync(resolve(TESTDATA, ...parts), 'utf8');
}

export function testdataDir(...parts: string[]): string[] {
  return readdirSync(resolve(TESTDATA, ...parts)).sort();
}

export function fixture(name: string): string {
  return testdataFile('debezium', name);
}

/**
 * JSON text with insignificant whitespace removed and string literals re-encoded, so that two texts
 * compare equal exactly when they have the same tokens (number literals kept verbatim: `1.0` ≠ `1`).
 */
export function normalizeJsonText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += JSON.stringify(JSON.parse(text.slice(i, j + 1)));
      i = j;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}
