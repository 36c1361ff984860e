/** Piscina worker entry: encode tasks (Arrow IPC → Parquet) and build tasks (records → data files). */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { threadCpuMicros } from '../ops/cpu.js';
import { type BuildTask, buildFiles } from './build-files.js';
import { type EncodeTask, encodeParquet } from './parquet.js';

export type WorkerTask = ({ kind: 'encode' } & EncodeTask) | BuildTask;

export default function run(task: WorkerTask): unknown {
  const started = threadCpuMicros();
  const result = task.kind === 'build' ? buildFiles(task) : encodeParquet(task);
  result.cpuMicros = threadCpuMicros() - started;
  // Parquet buffers go back by transfer, not copy.
  const buffers =
    'outputs' in result
      ? result.outputs.flatMap((o) =>
          o.files.flatMap((f) => [f.parquet.buffer, ...(f.mirrorRows ? [f.mirrorRows.buffer] : [])]),
        )
      : [result.parquet.buffer];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: result } as never);
}
