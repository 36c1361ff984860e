/**
 * `pnpm bench`: every ingestor benchmark, printing numbers and ratios to a baseline measured in the same run.
 * `BENCH=codec`, `BENCH=build` or `BENCH=ingest` runs one; the ingest bench needs the local stack (`./dw stack up`).
 */
import { runBuildBench } from './build.js';
import { runIngestBench } from './ingest.js';
import { runParquetCodecBench } from './parquet-codec.js';

const which = process.env.BENCH ?? 'all';
if (which === 'all' || which === 'codec') runParquetCodecBench();
if (which === 'all' || which === 'build') runBuildBench();
if (which === 'all' || which === 'ingest') {
  const variants = (process.env.BENCH_VARIANTS ?? '').split(';').filter((v) => v !== '');
  if (variants.length === 0) await runIngestBench();
  for (const v of variants)
    await runIngestBench(Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string])));
}
