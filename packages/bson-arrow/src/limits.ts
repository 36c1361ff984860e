/**
 * Bounds on the work one record, and one batch, can cause — the checks every decode path calls at its
 * boundaries, so that a hostile or broken record fails with a named reason (for the dead-letter topic) instead of
 * taking seconds, gigabytes or the process:
 * - at record entry, before any parsing: the size, and that the bytes are UTF-8 (`toString('utf8')` would replace
 *   invalid bytes with U+FFFD and silently change the value);
 * - after a document is parsed: how many named fields it has at all levels (each can become a column);
 * - before a row is written into a batch: how many distinct columns the batch would then have.
 * Every check runs in time linear in what it looks at, and never recurses (a hostile depth cannot overflow the
 * stack). A decode path of its own (e.g. one that writes Arrow columns while it parses) calls the same functions.
 */
import { isUtf8 } from 'node:buffer';
import type { BsonDocument, BsonValue } from './bson/values.js';
import { Tape, Tok } from './ejson/tape.js';
import { DecodeError } from './errors.js';

export interface BatchLimits {
  /**
   * Most distinct columns (struct fields at every level; list elements are not counted) one batch may have. A row
   * that would take the batch past it is refused `too_many_columns` and nothing of it is written. Default 10,000,
   * the committer's default COMMITTER_MAX_SCHEMA_COLUMNS.
   */
  maxColumns: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxColumns: 10_000 };

/**
 * A record's key or value as text: refused `too_large` beyond `maxBytes`, `invalid_utf8` when its bytes are not
 * UTF-8 (the raw bytes stay with the caller, for the dead-letter topic).
 */
export function recordText(
  v: Uint8Array | string | null | undefined,
  what: string,
  maxBytes: number,
): string | null {
  if (v === null || v === undefined) return null;
  const size = typeof v === 'string' ? Buffer.byteLength(v) : v.byteLength;
  if (size > maxBytes)
    throw new DecodeError('too_large', `record ${what} is ${size} bytes, over the ${maxBytes}-byte limit`);
  if (typeof v === 'string') return v;
  if (!isUtf8(v)) {
    throw new DecodeError(
      'invalid_utf8',
      `record ${what} is not valid UTF-8 (at byte ${firstInvalidUtf8(v)})`,
    );
  }
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
}

/** The offset of the first byte that does not continue a valid UTF-8 sequence (for the message only). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.byteLength;
  // The shortest invalid prefix, by bisection over isUtf8 of prefixes (a cut inside a sequence also fails, so the
  // answer can be up to 3 bytes before the offending byte: good enough to find it).
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isUtf8(bytes.subarray(0, mid + 1))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Named fields of a document at every level (inside nested documents and documents in arrays), counting stops once
 * past `stopAfter`. Array elements that are not documents add no field. A tape counts the same as the document it
 * holds: its member names, and those of the documents it keeps whole (a `$`-object the lossless parser made).
 */
export function documentFields(doc: BsonDocument | Tape, stopAfter = Number.POSITIVE_INFINITY): number {
  if (doc instanceof Tape) {
    const { type, aux, refs } = doc.chunk;
    let n = 0;
    for (let i = doc.start; i < doc.end && n <= stopAfter; i++) {
      if (type[i] === Tok.Key) n++;
      else if (type[i] === Tok.Value) n += valueFields(refs[aux[i] as number] as BsonValue, stopAfter - n);
    }
    return n;
  }
  return valueFields(doc, stopAfter);
}

/** `documentFields` of any value: a document's or array's named fields at every level, 0 for anything else. */
export function valueFields(value: BsonValue, stopAfter = Number.POSITIVE_INFINITY): number {
  if (!(value instanceof Map) && !Array.isArray(value)) return 0;
  let n = 0;
  const stack: BsonValue[] = [value];
  while (stack.length > 0 && n <= stopAfter) {
    const v = stack.pop();
    if (v instanceof Map) {
      n += v.size;
      for (const child of v.values()) if (child instanceof Map || Array.isArray(child)) stack.push(child);
    } else if (Array.isArray(v)) {
      for (const child of v) if (child instanceof Map || Array.isArray(child)) stack.push(child);
    }
  }
  return n;
}

/**
 * Whether a record of `recordSize` bytes (or characters) can hold a document with more than `max` named fields at
 * all: every named field takes at least four characters of JSON text (`"":0` plus a separator; more once the
 * document is an escaped string inside the envelope), so records under 4 × `max` need no count.
 */
export function mayExceedFields(recordSize: number, max: number): boolean {
  return recordSize >= 4 * max;
}

/** Refuses a document with more than `max` named fields (`too_many_fields`); returns how many it has. */
export function checkDocumentFields(
  doc: BsonDocument | Tape | null | undefined,
  max: number,
  what: string,
): number {
  if (doc === null || doc === undefined) return 0;
  const n = documentFields(doc, max);
  if (n > max)
    throw new DecodeError('too_many_fields', `${what} has more than ${max} named fields (all levels)`);
  return n;
}

/**
 * What the decoder knows about the named fields of an event's row (a count, or the record size's bound), so that the
 * batch's column budget can admit the row without looking at it.
 */
const fieldBounds = new WeakMap<object, number>();

export function noteFieldBound(event: object, fields: number): void {
  fieldBounds.set(event, fields);
}

export function fieldBound(event: object): number | undefined {
  return fieldBounds.get(event);
}

/** The part of a batch's column tree the budget reads: struct children by source name, a list's element. */
export interface ColumnNode {
  /** `struct`, `list`, `null` (only nulls so far: it takes any type next), or a leaf kind. */
  readonly kind: string;
  readonly children: ReadonlyMap<string, ColumnNode> | null;
  readonly element: ColumnNode | null;
}

/**
 * Counts a batch's columns and refuses a row that would add too many. The count is kept by the builder (one
 * `added()` per new column); a row is only walked against the column tree when it could pass the limit at all
 * (the batch's count plus the row's size in tokens or fields is over it), so rows far from the limit cost nothing.
 */
export class ColumnBudget {
  private count = 0;

  constructor(readonly max: number) {}

  get columns(): number {
    return this.count;
  }

  /** One column was created. */
  added(): void {
    this.count++;
  }

  /**
   * Throws `too_many_columns` when writing `row` into the tree at `root` would pass the limit; writes nothing.
   * `fields` is an upper bound of the row's named fields when the caller knows one (see `fieldBound`).
   */
  admit(root: ColumnNode, row: BsonDocument | Tape, fields?: number): void {
    const room = this.max - this.count;
    // Cheap upper bounds first: the decoder's, then the row's named fields (a walk without column lookups; a tape's
    // token count would not do: a document the tape keeps whole is one token).
    if (fields !== undefined && fields <= room) return;
    if (documentFields(row, room) <= room) return;
    if (newColumns(root, row, room) > room) {
      throw new DecodeError(
        'too_many_columns',
        `the row would give the batch more than ${this.max} columns (the batch has ${this.count}; the row adds more than ${room})`,
      );
    }
  }
}

/**
 * The columns a row may create, as an upper bound that never under-counts: every named field at a path the batch has
 * no column for yet counts once (a name repeated in several documents of an array counts once). The builder creates
 * a column only for such a field, and only when the value is written into its column rather than its overflow
 * column; which of the two happens depends on the conflict rule (`arrow/rule.ts`) and the order of values, which
 * this walk does not replay — so a row that passes the limit only through fields the rule would send to an overflow
 * column is refused too. Real columns are only read, never changed.
 */
interface Sim {
  readonly real: ColumnNode | null;
  readonly children: Map<string, Sim>;
  element: Sim | null;
}

type Item = { sim: Sim; value: BsonValue } | { sim: Sim; tape: Tape; at: number };

function simOf(real: ColumnNode | null): Sim {
  return { real, children: new Map(), element: null };
}

/**
 * At most how many columns writing `row` would create under `root` (stops counting past `stopAfter`): the named
 * fields whose path has no column yet.
 */
export function newColumns(root: ColumnNode, row: BsonDocument | Tape, stopAfter: number): number {
  let n = 0;
  const child = (sim: Sim, name: string): Sim => {
    let c = sim.children.get(name);
    if (!c) {
      const real = sim.real?.children?.get(name) ?? null;
      if (!real) n++;
      c = simOf(real);
      sim.children.set(name, c);
    }
    return c;
  };
  const element = (sim: Sim): Sim => {
    sim.element ??= simOf(sim.real?.element ?? null);
    return sim.element;
  };
  const stack: Item[] =
    row instanceof Tape
      ? [{ sim: simOf(root), tape: row, at: row.start }]
      : [{ sim: simOf(root), value: row }];
  while (stack.length > 0 && n <= stopAfter) {
    const item = stack.pop() as Item;
    const { sim } = item;
    if ('tape' in item) {
      const { tape, at } = item;
      const c = tape.chunk;
      const type = c.type[at];
      if (type === Tok.Value) {
        // A value the tape keeps whole: a document or array is walked like any other.
        const v = c.refs[c.aux[at] as number] as BsonValue;
        if (v instanceof Map || Array.isArray(v)) stack.push({ sim, value: v });
      } else if (type === Tok.Doc) {
        let j = at + 1;
        for (let k = c.aux[at] as number; k > 0; k--) {
          stack.push({ sim: child(sim, c.refs[c.aux[j] as number] as string), tape, at: j + 1 });
          j = skip(c, j + 1);
        }
      } else if (type === Tok.Arr) {
        let j = at + 1;
        for (let k = c.aux[at] as number; k > 0; k--) {
          stack.push({ sim: element(sim), tape, at: j });
          j = skip(c, j);
        }
      }
    } else {
      const v = item.value;
      if (v instanceof Map) for (const [name, value] of v) stack.push({ sim: child(sim, name), value });
      else if (Array.isArray(v)) for (const value of v) stack.push({ sim: element(sim), value });
    }
  }
  return n;
}

function skip(c: Tape['chunk'], i: number): number {
  const type = c.type[i];
  return type === Tok.Doc || type === Tok.Arr ? i + (c.num[i] as number) : i + 1;
}

/** Budgets of the batches being built, by the options object their columns share (see `Column.addChild`). */
const budgets = new WeakMap<object, ColumnBudget>();

export function attachBudget(options: object, budget: ColumnBudget): void {
  budgets.set(options, budget);
}

/** Called by the column tree for each column it creates. */
export function noteColumn(options: object): void {
  budgets.get(options)?.added();
}
