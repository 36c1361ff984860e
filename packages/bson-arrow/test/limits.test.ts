/**
 * Bounded work per record and per batch: invalid UTF-8 is a named failure (never replaced by U+FFFD), a document
 * with too many named fields is refused after one linear pass, a row that would give its batch too many columns is
 * refused before anything of it is written, and the CLI refuses inputs over its size limit.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../src/arrow/batch.js';
import { DEFAULT_MAX_INPUT_BYTES, main, readBounded } from '../src/cli.js';
import { Decoder } from '../src/debezium/record.js';
import type { ChangeEvent } from '../src/debezium/types.js';
import { DecodeError } from '../src/errors.js';
import { documentFields } from '../src/limits.js';

function mongoValue(after: Record<string, unknown> | string, ord = 1): string {
  const doc =
    typeof after === 'string'
      ? after
      : JSON.stringify({ _id: { $oid: ord.toString(16).padStart(24, '0') }, ...after });
  return JSON.stringify({
    payload: {
      op: 'c',
      after: doc,
      source: { connector: 'mongodb', db: 'd', collection: 'c', ts_ms: 1, ord },
      ts_ms: 1,
    },
  });
}

function wide(n: number, prefix = 'f'): Record<string, number> {
  const f: Record<string, number> = {};
  for (let i = 0; i < n; i++) f[`${prefix}${i}`] = i;
  return f;
}

const decoders = [
  ['fast path', () => new Decoder()],
  ['reference path', () => new Decoder({ fastPath: false })],
] as const;

describe.each(decoders)('record limits (%s)', (_, make) => {
  it('names invalid UTF-8 in a value or key; the same text as a string decodes', () => {
    const decoder = make();
    const good = Buffer.from(mongoValue({ name: 'Ünïcödé' }));
    expect(decoder.decode({ topic: 't', partition: 0, offset: 0, key: null, value: good }).kind).toBe(
      'change',
    );
    // the "é" of the name with its second byte cut: C3 followed by a quote
    const at = good.indexOf(Buffer.from('é')) + 1;
    const bad = Buffer.concat([good.subarray(0, at), good.subarray(at + 1)]);
    const r = decoder.decode({ topic: 't', partition: 0, offset: 1, key: null, value: bad });
    expect(r).toMatchObject({ kind: 'failure', reason: 'invalid_utf8' });
    expect(r.kind === 'failure' && r.message).toMatch(/record value is not valid UTF-8 \(at byte \d+\)/);
    const key = decoder.decode({
      topic: 't',
      partition: 0,
      offset: 2,
      key: Buffer.from([0x7b, 0xff, 0x7d]),
      value: good,
    });
    expect(key).toMatchObject({
      kind: 'failure',
      reason: 'invalid_utf8',
      message: expect.stringMatching(/record key/),
    });
  });

  it('refuses a document with more named fields than maxDocumentFields, counting nested ones', () => {
    const decoder = make();
    const at = (after: Record<string, unknown>, offset: number) =>
      decoder.decode({ topic: 't', partition: 0, offset, key: null, value: mongoValue(after) });
    // 9,999 fields + _id = 10,000
    expect(at(wide(9_999), 0).kind).toBe('change');
    expect(at(wide(10_000), 1)).toMatchObject({ kind: 'failure', reason: 'too_many_fields' });
    // nested and in arrays of documents: 5,000 + 1 + 5,000 + 1 (+ _id) named fields
    expect(at({ a: wide(5_000), b: [wide(5_000, 'g')] }, 2)).toMatchObject({
      kind: 'failure',
      reason: 'too_many_fields',
    });
    expect(at({ big: Array.from({ length: 50_000 }, (_, i) => i) }, 3).kind).toBe('change'); // values are not fields
    const strict = new Decoder({ maxDocumentFields: 10, fastPath: decoder !== undefined });
    expect(
      strict.decode({ topic: 't', partition: 0, offset: 4, key: null, value: mongoValue(wide(10)) }),
    ).toMatchObject({
      reason: 'too_many_fields',
      message: expect.stringMatching(/more than 10 named fields/),
    });
  });

  it('refuses a 200,000-field document (the issue took 21 s on 50,000)', () => {
    const r = make().decode({
      topic: 't',
      partition: 0,
      offset: 0,
      key: null,
      value: mongoValue(wide(200_000)),
    });
    expect(r).toMatchObject({ kind: 'failure', reason: 'too_many_fields' });
  });
});

describe('distinct columns per batch', () => {
  const decoder = new Decoder();
  const event = (after: Record<string, unknown>, ord: number) => {
    const r = decoder.decode({
      topic: 't',
      partition: 0,
      offset: ord,
      key: null,
      value: mongoValue(after, ord),
    });
    if (r.kind !== 'change') throw new Error(`not a change: ${JSON.stringify(r)}`);
    return r;
  };

  it('refuses the row that would pass maxColumns, writes nothing of it, and goes on with the batch', () => {
    const batch = new BatchBuilder({ maxColumns: 30 });
    batch.append(event(wide(20), 1)); // _id + 20
    expect(batch.columns).toBe(21);
    const error = (() => {
      try {
        batch.append(event({ ...wide(5), extra: wide(10, 'x') }, 2)); // 5 known; extra + 10 new = 11 > 9 left
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).reason).toBe('too_many_columns');
    expect(batch.columns).toBe(21);
    batch.append(event({ ...wide(20), n: { a: 1, b: 2 } }, 3)); // n, n.a, n.b: 24
    const result = batch.finish();
    expect(result.rows).toBe(2);
    const names = result.schema.fields.map((f) => f.name);
    expect(names).not.toContain('extra');
    expect(names).toContain('n');
    expect(batch.columns).toBe(24);
  });

  it('never passes the limit, counts what it built exactly, and refuses only rows with more new field paths than room (property)', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd');
    const doc: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
      doc: fc.dictionary(
        name,
        fc.oneof({ depthSize: 'small' }, fc.integer(), tie('doc'), fc.array(tie('doc'), { maxLength: 2 })),
        {
          maxKeys: 4,
        },
      ),
    })).doc as fc.Arbitrary<Record<string, unknown>>;
    fc.assert(
      fc.property(
        fc.array(doc, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 30 }),
        (docs, max) => {
          const limited = new BatchBuilder({ maxColumns: max });
          const accepted: ChangeEvent[] = [];
          // the columns a batch of `events` has, built without a limit
          const columnsOf = (events: ChangeEvent[]) => {
            const free = new BatchBuilder();
            for (const e of events) free.append(e);
            return free.columns;
          };
          docs.forEach((d, i) => {
            const e = event({ r: d }, i + 10);
            const wouldHave = columnsOf([...accepted, e]);
            let refused = false;
            try {
              limited.append(e);
            } catch (err) {
              if (!(err instanceof DecodeError)) throw err;
              refused = true;
            }
            // a row that would take the batch past the limit is always refused; a refused row has more named
            // field paths than the batch had room for (the count is an upper bound: the conflict rule may send
            // some of them to overflow columns instead); accepted rows are counted exactly
            if (wouldHave > max) expect(refused).toBe(true);
            if (refused) expect(fieldPaths(d)).toBeGreaterThan(max - limited.columns);
            if (!refused) accepted.push(e);
            expect(limited.columns).toBeLessThanOrEqual(max);
            expect(limited.columns).toBe(columnsOf(accepted));
          });
          expect(limited.finish().rows).toBe(accepted.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts fields of maps and tapes alike, stopping early', () => {
    const m = new Map<string, unknown>([
      [
        'a',
        new Map<string, unknown>([
          ['b', 1],
          ['c', [new Map([['d', 1]])]],
        ]),
      ],
    ]);
    expect(documentFields(m as never)).toBe(4);
    expect(documentFields(m as never, 1)).toBeLessThanOrEqual(4);
    const e = event({ a: { b: 1, c: [{ d: 1 }] } }, 99) as ChangeEvent;
    expect(e.after instanceof Map && documentFields(e.after)).toBe(5); // _id + 4
  });
});

describe('CLI input limits', () => {
  it('refuses an input over --max-bytes (/dev/zero), instead of running out of memory', async () => {
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(256 * 1024 * 1024);
    expect(() => readBounded('/dev/zero', 1_000_000)).toThrow(
      /\/dev\/zero is larger than 1000000 bytes \(--max-bytes\)/,
    );
    await expect(
      main(['convert', '/dev/zero', '--max-bytes', '4096'], { out: () => {}, err: () => {} }),
    ).rejects.toThrow(/larger than 4096 bytes/);
  });

  it('names records that are not UTF-8 and converts the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bson-arrow-'));
    const file = join(dir, 'mixed.jsonl');
    const good = Buffer.from(mongoValue({ name: 'ok' }));
    const bad = Buffer.from(mongoValue({ name: 'x#x' }));
    bad[bad.indexOf('#')] = 0xff; // a raw 0xFF byte inside the name
    writeFileSync(file, Buffer.concat([good, Buffer.from('\n'), bad, Buffer.from('\n')]));
    const err: string[] = [];
    const out: string[] = [];
    const code = await main(['convert', file], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(out).toContain('# rows (1)');
    expect(err).toEqual([expect.stringMatching(/^record 1: invalid_utf8: record value is not valid UTF-8/)]);
  });
});

/** The distinct named-field paths of a row `{ _id, r: doc }` (array elements share one path). */
function fieldPaths(doc: Record<string, unknown>): number {
  const paths = new Set<string>();
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) for (const x of v) walk(x, `${at}[]`);
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        paths.add(`${at}.${k}`);
        walk(x, `${at}.${k}`);
      }
  };
  walk(doc, 'r');
  return paths.size + 2; // and `_id` and `r` themselves
}
