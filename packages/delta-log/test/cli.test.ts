import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as A from 'apache-arrow';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { decimal, field, struct } from '../src/schema/types.js';
import { DeltaTable } from '../src/table.js';
import { writeDataFile } from '../src/write/data-file.js';
import { goldenDir, REPO_ROOT } from './helpers/golden.js';
import { useTempStorage } from './helpers/tmp.js';

const run = promisify(execFile);
const temp = useTempStorage();
const BIN = resolve(__dirname, '../src/bin.ts');
const TSX = join(REPO_ROOT, 'node_modules/.bin/tsx');

/** Runs the CLI in this process (fast), capturing stdout/stderr. */
async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'delta-log', ...args]);
    return { stdout, stderr, code };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Runs the real bin in a child process (exit codes, stdout/stderr separation). */
async function spawnCli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(TSX, [BIN, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('delta-log CLI', () => {
  it('prints a snapshot summary and time-travels', async () => {
    const uri = join(goldenDir('deltalog-getChanges'), 'delta');
    const { stdout, code } = await cli('snapshot', uri);
    expect(code).toBe(0);
    const s = JSON.parse(stdout);
    expect(s).toMatchObject({ version: 2, txnVersions: { fakeAppId: 3 }, protocol: { minReaderVersion: 1 } });
    expect(JSON.parse((await cli('snapshot', `file://${uri}`, '--version', '0')).stdout).version).toBe(0);
    expect(
      JSON.parse((await cli('snapshot', uri, '--timestamp', new Date().toISOString())).stdout).version,
    ).toBe(2);
    const early = await cli('snapshot', uri, '--timestamp', '2000-01-01T00:00:00Z');
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/DELTA_VERSION_NOT_FOUND/);
  });

  it('scans exactly one JSON object per row, in the documented encoding', async () => {
    const { storage, dir } = temp();
    const t = await DeltaTable.create(storage, '', {
      schema: struct(
        field('id', 'long'),
        field('amount', decimal(10, 2)),
        field('at', 'timestamp'),
        field('tags', 'string'),
      ),
    });
    const words = new Uint32Array([150, 0, 0, 0, 0xffffffff - 4, 0xffffffff, 0xffffffff, 0xffffffff]);
    const add = await writeDataFile(
      t.snapshot,
      new A.Table({
        id: A.vectorFromArray([9007199254740993n, null], new A.Int64()),
        amount: A.makeVector(
          A.makeData({ type: new A.Decimal(2, 10, 128), length: 2, nullCount: 0, data: words }),
        ),
        at: A.makeVector(
          A.makeData({
            type: new A.TimestampMicrosecond('UTC'),
            length: 2,
            nullCount: 0,
            data: new BigInt64Array([1n, -1n]),
          }),
        ),
        tags: A.vectorFromArray(['a "quoted"\nline', null], new A.Utf8()),
      }),
    );
    await t.commit({ actions: [{ add }], operation: 'WRITE' });
    const { stdout, code } = await cli('scan', dir);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { id: '9007199254740993', amount: '1.50', at: '1970-01-01T00:00:00.000001Z', tags: 'a "quoted"\nline' },
      { id: null, amount: '-0.05', at: '1969-12-31T23:59:59.999999Z', tags: null },
    ]);
    expect((await cli('scan', dir, '--limit', '1')).stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('reports errors on stderr with a non-zero exit and nothing on stdout', async () => {
    const { dir } = temp();
    const r = await spawnCli('scan', dir);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/DELTA_TABLE_NOT_FOUND/);
  });

  it('writes a checkpoint, prints history, and vacuums with a dry run', async () => {
    const { storage, dir } = temp();
    const t = await DeltaTable.create(storage, '', { schema: struct(field('id', 'long')) });
    await t.commit({
      actions: [{ add: await writeDataFile(t.snapshot, new A.Table({ id: A.vectorFromArray([1n]) })) }],
      operation: 'WRITE',
    });
    const cp = JSON.parse((await cli('checkpoint', dir)).stdout);
    expect(cp).toMatchObject({ version: 1, numOfAddFiles: 1 });
    const history = (await cli('history', dir)).stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(history.map((h) => [h.version, h.commitInfo.operation])).toEqual([
      [1, 'WRITE'],
      [0, 'CREATE TABLE'],
    ]);
    const vac = JSON.parse((await cli('vacuum', dir, '--dry-run')).stdout);
    expect(vac).toEqual({ dryRun: true, files: [], bytes: 0 });
  });
});
