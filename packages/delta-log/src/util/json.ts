/**
 * JSON for Delta log content without passing numbers through a double. The log is written by other engines too:
 * a long statistic, a `txn.version`, an identity column's high-water mark or a decimal bound can be beyond what a
 * double holds exactly, and `JSON.parse` → `JSON.stringify` would silently round it (9223372036854775807 becomes
 * 9223372036854776000, which readers then refuse as a long, or worse, read as a bound below the file's values).
 *
 * - `parseJson` keeps every number exact: integers beyond ±(2^53 − 1) become `bigint`, other numbers whose
 *   shortest double spelling is another value become {@link JsonNumber} (their text); everything else is what
 *   `JSON.parse` gives.
 * - `stringifyJson` writes `bigint` and `JsonNumber` as their digits.
 * - `setTopLevelMember` edits one member of an object's text and leaves every other byte as it was: the way to
 *   change a statistics string (`tightBounds`) without re-serializing numbers at all.
 */

/** A JSON number a double cannot hold exactly, kept as its text (`String(n)` gives it back). */
export class JsonNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const INTEGER = /^-?\d+$/;

/** `JSON.parse` that keeps every number exact (see the module comment). */
export function parseJson(text: string): unknown {
  if (!hasLongNumber(text)) return JSON.parse(text);
  // The reviver with source text is several times slower than a plain parse: only for text that needs it.
  return JSON.parse(text, reviveNumber as (key: string, value: unknown) => unknown);
}

function escaped(text: string, quote: number): boolean {
  let k = quote - 1;
  while (k >= 0 && text.charCodeAt(k) === 92 /* \ */) k--;
  return (quote - 1 - k) % 2 === 1;
}

/**
 * Whether a number token of the JSON text (strings skipped) has 16+ digits and points, or a 3-digit exponent: the
 * only numbers a double may not hold exactly (IEEE 754 double precision keeps 15 decimal digits), so nearly every
 * log line takes native `JSON.parse` alone. Strings are hopped over with `indexOf` (a stats string is most of an
 * `add` line, and its digits do not count).
 */
function hasLongNumber(text: string): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // to the closing quote: native indexOf hops over the string, an odd run of backslashes escapes a quote
      let j = text.indexOf('"', i + 1);
      while (j > 0 && escaped(text, j)) j = text.indexOf('"', j + 1);
      if (j < 0) return false; // unterminated: JSON.parse reports it
      i = j;
    } else if ((c >= 48 && c <= 57) || c === 45 /* - */) {
      let run = 0;
      let j = c === 45 ? i + 1 : i;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if ((d >= 48 && d <= 57) || d === 46 /* . */) run++;
        else break;
      }
      if (run >= 16) return true;
      const e = text.charCodeAt(j);
      if (e === 101 || e === 69 /* e E */) {
        let k = j + 1;
        const sign = text.charCodeAt(k);
        if (sign === 43 || sign === 45) k++;
        let digits = 0;
        while (k < n && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57) {
          digits++;
          k++;
        }
        if (digits >= 3) return true;
        j = k;
      }
      i = j - 1;
    }
  }
  return false;
}

function reviveNumber(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  const source = context.source;
  // Beyond ±2^53 even an integer a double holds exactly (2^63) prints with other digits (9223372036854776000).
  if (INTEGER.test(source)) return Number.isSafeInteger(value) ? value : BigInt(source);
  return Number.isFinite(value) && sameDecimal(source, String(value)) ? value : new JsonNumber(source);
}

/** Whether two decimal number texts (`-1.50E+3`, `1500`) denote the same value. */
export function sameDecimal(a: string, b: string): boolean {
  const x = decimalParts(a);
  const y = decimalParts(b);
  return (
    x !== undefined &&
    y !== undefined &&
    x.negative === y.negative &&
    x.digits === y.digits &&
    x.exp === y.exp
  );
}

/** A decimal text as sign, significant digits (no leading/trailing zeros) and the exponent of the last digit. */
function decimalParts(text: string): { negative: boolean; digits: string; exp: number } | undefined {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return undefined;
  const [, sign, int = '', frac = '', exp = '0'] = m;
  let digits = (int + frac).replace(/^0+/, '');
  let e = Number(exp) - frac.length;
  const trimmed = digits.replace(/0+$/, '');
  e += digits.length - trimmed.length;
  digits = trimmed;
  if (digits === '') return { negative: false, digits: '0', exp: 0 }; // every zero, -0 included
  return { negative: sign === '-', digits, exp: e };
}

/** `JSON.stringify` that writes `bigint` and {@link JsonNumber} values as their exact digits. */
export function stringifyJson(value: unknown, space?: number): string {
  return JSON.stringify(value, exactNumbers, space);
}

function exactNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return rawJson(value.toString());
  if (value instanceof JsonNumber) return rawJson(value.text);
  return value;
}

const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * `objectText` (a JSON object) with the top-level member `key` set to `valueText` (JSON text): an existing member
 * has its value replaced, a missing one is appended. Every other byte is kept. Throws on text that is not an object.
 */
export function setTopLevelMember(objectText: string, key: string, valueText: string): string {
  const members = topLevelMembers(objectText);
  const at = members.find((m) => m.key === key);
  if (at) return objectText.slice(0, at.valueStart) + valueText + objectText.slice(at.valueEnd);
  const close = objectText.lastIndexOf('}');
  const member = `${JSON.stringify(key)}:${valueText}`;
  return `${objectText.slice(0, close)}${members.length > 0 ? ',' : ''}${member}${objectText.slice(close)}`;
}

interface Member {
  key: string;
  valueStart: number;
  valueEnd: number;
}

/** The members of a JSON object's text, with where each value's text starts and ends. */
export function topLevelMembers(text: string): Member[] {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') throw new SyntaxError('not a JSON object');
  const members: Member[] = [];
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return checkEnd(text, i + 1, members);
  for (;;) {
    if (text[i] !== '"') throw new SyntaxError(`expected a member name at ${i}`);
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') throw new SyntaxError(`expected ':' at ${i}`);
    const valueStart = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    members.push({ key, valueStart, valueEnd });
    i = skipSpace(text, valueEnd);
    if (text[i] === '}') return checkEnd(text, i + 1, members);
    if (text[i] !== ',') throw new SyntaxError(`expected ',' or '}' at ${i}`);
    i = skipSpace(text, i + 1);
  }
}

function checkEnd(text: string, i: number, members: Member[]): Member[] {
  if (skipSpace(text, i) !== text.length) throw new SyntaxError('text after the JSON object');
  return members;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t'))
    i++;
  return i;
}

/** The index after the string literal starting at `i`. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** The index after the value starting at `i` (objects and arrays by bracket depth, strings skipped whole). */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = skipString(text, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new SyntaxError('unterminated object or array');
  }
  let j = i;
  while (j < text.length && !',}] \n\r\t'.includes(text[j] as string)) j++;
  if (j === i) throw new SyntaxError(`expected a value at ${i}`);
  return j;
}
