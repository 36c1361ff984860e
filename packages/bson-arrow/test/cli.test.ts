import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { splitMessages } from '../src/cli/input.js';
import { main } from '../src/cli.js';
import { TESTDATA } from './helpers.js';

const fixturePath = (name: string) => join(TESTDATA, 'debezium', name);

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('bson-arrow convert', () => {
  it('prints the schema and the rows of one message', async () => {
    const r = await run(['convert', fixturePath('mongodb-2.7.0-create-schemaless.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('_id: Utf8  [bson.type="objectId"]');
    expect(r.out).toContain('updated_at: Timestamp<MICROSECOND, UTC>');
    const row = r.out[r.out.indexOf('# rows (1)') + 1] as string;
    expect(row).toContain('"updated_at":{"$date":"2025-02-13T14:01:37.97Z"}');
    expect(row).toContain('"created_at":1736207571013');
  });

  it('reads a JSON array of messages and JSON Lines; --json output; failures exit 1', async () => {
    const r = await run([
      'convert',
      '--json',
      fixturePath('postgres-2.5.4-snapshot-customers-array-with-schema.json'),
    ]);
    const parsed = JSON.parse(r.out.join('\n'));
    expect(parsed.rows).toHaveLength(4);
    expect(parsed.rows.map((x: { id: number }) => x.id)).toEqual([1001, 1002, 1003, 1004]);
    const dir = mkdtempSync(join(tmpdir(), 'bson-arrow-'));
    const lines = join(dir, 'lines.jsonl');
    const one = readFileSync(fixturePath('mongodb-2.7.0-create-schemaless.json'), 'utf8').trim();
    writeFileSync(lines, `${one}\nnull\n{"not":"debezium"}\n`);
    const l = await run(['convert', lines]);
    expect(l.code).toBe(1);
    expect(l.err).toContain('record 1: tombstone');
    expect(l.err.some((e) => e.startsWith('record 2: not_debezium'))).toBe(true);
  });

  it('--out writes Parquet: µs UTC timestamps, decimals and nested lists survive a read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bson-arrow-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(
      input,
      [
        readFileSync(fixturePath('mongodb-2.7.0-create-schemaless.json'), 'utf8').trim(),
        readFileSync(fixturePath('postgres-2.2.0-update-decimal-with-schema.json'), 'utf8').replace(
          /\s+/g,
          ' ',
        ),
      ].join('\n'),
    );
    const out = join(dir, 'out.parquet');
    const r = await run(['convert', input, '--out', out]);
    expect(r.code).toBe(0);
    const parquet = await import('parquet-wasm');
    const table = tableFromIPC(parquet.readParquet(readFileSync(out)).intoIPCStream());
    expect(table.numRows).toBe(2);
    expect(String(table.schema.fields.find((f) => f.name === 'updated_at')?.type)).toBe(
      'Timestamp<MICROSECOND, UTC>',
    );
    expect(table.getChild('updated_at')?.data[0]?.values[0]).toBe(1739455297970000n);
    expect(String(table.schema.fields.find((f) => f.name === 'decimal_test_5_2')?.type)).toBe(
      'Decimal[5e+2]',
    );
    expect(table.getChild('tags')?.get(0)?.toArray()).toEqual(['pending']);
    expect(table.schema.fields.find((f) => f.name === '_id')?.metadata.get('bson.type')).toBe('objectId');
  });

  it('splits inputs: single pretty-printed message, array, lines', () => {
    expect(splitMessages('{\n "a": 1\n}')).toEqual(['{\n "a": 1\n}']);
    expect(splitMessages('[{"a":1},null]')).toEqual(['{"a":1}', null]);
    expect(splitMessages('{"a":1}\n{"a":2}\n')).toEqual(['{"a":1}', '{"a":2}']);
  });
});
