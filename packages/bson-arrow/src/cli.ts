#!/usr/bin/env node
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Table, tableToIPC } from 'apache-arrow';
import { Command } from 'commander';
import { BatchBuilder } from './arrow/batch.js';
import { rowsFromTable } from './arrow/read.js';
import { describeResolutions, describeSchema } from './cli/describe.js';
import { splitMessages } from './cli/input.js';
import { Decoder } from './debezium/record.js';
import { stringifyExtendedJson } from './ejson/stringify.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

interface ConvertFlags {
  out?: string;
  json?: boolean;
  cdc: boolean;
  decimal128?: string;
  maxBytes: number;
}

/** Default cap on the input a `convert` reads: far above any capture file, far below what makes Node run out. */
export const DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** `bson-arrow convert <file> [--out x.parquet]`: decode a capture, print schema and rows, write Parquet. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  const program = new Command('bson-arrow')
    .description('Decode Debezium change events and convert them to Arrow / Parquet')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program
    .command('convert')
    .argument('<file>', 'one Kafka record value, a JSON array of them, or JSON Lines (null = tombstone)')
    .option('--out <file.parquet>', 'also write the batch as a Parquet file')
    .option('--json', 'print one JSON object {schema, resolutions, failures, skipped, rows} instead of text')
    .option('--no-cdc', 'leave out the CDC metadata columns')
    .option('--decimal128 <precision,scale>', 'store Decimal128 as decimal(p,s) instead of text')
    .option(
      '--max-bytes <n>',
      `refuse inputs larger than this many bytes (default ${DEFAULT_MAX_INPUT_BYTES})`,
      parseByteCount,
      DEFAULT_MAX_INPUT_BYTES,
    )
    .action(async (file: string, flags: ConvertFlags) => {
      code = await convert(file, flags, io);
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const exitCode = (e as { exitCode?: number }).exitCode;
    if (typeof exitCode === 'number') return exitCode;
    throw e;
  }
  return code;
}

async function convert(file: string, flags: ConvertFlags, io: Io): Promise<number> {
  const decimal128 = flags.decimal128 ? parseDecimalOption(flags.decimal128) : null;
  const decoder = new Decoder();
  const batch = new BatchBuilder({ cdcColumns: flags.cdc, decimal128 });
  const failures: { index: number; reason: string; message: string }[] = [];
  const skipped: { index: number; kind: string; reason?: string }[] = [];
  const bytes = readBounded(file, flags.maxBytes);
  // Invalid UTF-8 is never decoded with replacement characters: records are handed over as bytes then, one per
  // line, and the decoder names the ones that are not UTF-8 (invalid_utf8).
  const values: (string | Uint8Array | null)[] = isUtf8(bytes)
    ? splitMessages(bytes.toString('utf8'))
    : splitLines(bytes);
  values.forEach((value, index) => {
    const r = decoder.decode({ topic: file, partition: 0, offset: index, key: null, value });
    if (r.kind === 'change') batch.append(r);
    else if (r.kind === 'failure') failures.push({ index, reason: r.reason, message: r.message });
    else skipped.push({ index, kind: r.kind, ...(r.kind === 'ignored' ? { reason: r.reason } : {}) });
  });
  const result = batch.finish();
  const rows = rowsFromTable(result.table, { names: 'column' }).map((row) =>
    stringifyExtendedJson(row, { mode: 'relaxed' }),
  );
  if (flags.json) {
    const parts = [
      `"schema":${JSON.stringify(describeSchema(result.schema))}`,
      `"resolutions":${JSON.stringify(result.resolutions)}`,
      `"failures":${JSON.stringify(failures)}`,
      `"skipped":${JSON.stringify(skipped)}`,
      `"rows":[${rows.join(',')}]`,
    ];
    io.out(`{${parts.join(',')}}`);
  } else {
    io.out(`# schema (${result.schema.fields.length} columns)`);
    for (const l of describeSchema(result.schema)) io.out(l);
    if (result.resolutions.length) {
      io.out(`# resolutions (${result.resolutions.length})`);
      for (const l of describeResolutions(result.resolutions)) io.out(l);
    }
    io.out(`# rows (${rows.length})`);
    for (const r of rows) io.out(r);
    for (const s of skipped) io.err(`record ${s.index}: ${s.kind}${s.reason ? ` (${s.reason})` : ''}`);
    for (const f of failures) io.err(`record ${f.index}: ${f.reason}: ${f.message}`);
  }
  if (flags.out) {
    const bytes = await toParquet(result.table);
    writeFileSync(flags.out, bytes);
    io.err(`wrote ${result.rows} rows to ${flags.out} (${bytes.length} bytes)`);
  }
  return failures.length ? 1 : 0;
}

function parseByteCount(s: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`--max-bytes wants a positive whole number, got "${s}"`);
  return n;
}

/**
 * The whole input, read in chunks up to `maxBytes` (+1 to notice more): `/dev/zero`, a FIFO or a huge file gets a
 * clear error instead of exhausting memory.
 */
export function readBounded(file: string, maxBytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1));
    for (;;) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, maxBytes + 1 - total), null);
      if (n === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      total += n;
      if (total > maxBytes) {
        throw new Error(
          `${file} is larger than ${maxBytes} bytes (--max-bytes): split it, or raise the limit if it really is one capture`,
        );
      }
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** JSON Lines as raw bytes, one record per non-empty line (`null` = tombstone). */
function splitLines(bytes: Buffer): (Uint8Array | null)[] {
  const out: (Uint8Array | null)[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, end);
    const text = line.toString('latin1').trim();
    if (text !== '') out.push(text === 'null' ? null : line);
    start = end + 1;
  }
  return out;
}

function parseDecimalOption(s: string): { precision: number; scale: number } {
  const m = /^(\d+),(\d+)$/.exec(s);
  const precision = Number(m?.[1]);
  const scale = Number(m?.[2]);
  if (!m || precision < 1 || precision > 38 || scale > precision) {
    throw new Error(`--decimal128 wants "precision,scale" with 0 ≤ scale ≤ precision ≤ 38, got "${s}"`);
  }
  return { precision, scale };
}

/** Arrow table → Parquet bytes with parquet-wasm (loaded only when asked for: it is a WebAssembly module). */
export async function toParquet(table: Table): Promise<Uint8Array> {
  const parquet = await import('parquet-wasm');
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  const props = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.SNAPPY).build();
  return parquet.writeParquet(wasmTable, props);
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // `bson-arrow convert big.jsonl | head` closes stdout early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (c) => {
      process.exitCode = c;
    },
    (e: unknown) => {
      process.stderr.write(`bson-arrow: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
