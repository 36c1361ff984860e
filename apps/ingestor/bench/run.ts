/**
 * `pnpm bench`: every ingestor benchmark, printing numbers and ratios to a baseline measured in the same run.
 * `BENCH=codec`, `BENCH=build`, `BENCH=ingest` or `BENCH=mirror` runs one; the ingest and mirror benches need the
 * local stack (`./dw stack up`), the mirror bench also Redis and runs the real committer from source.
 */
import { runBuildBench } from './build.js';
import { runIngestBench } from './ingest.js';
import { runMirrorBench } from './mirror.js';
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
if (which === 'all' || which === 'mirror') await runMirrorBench();
