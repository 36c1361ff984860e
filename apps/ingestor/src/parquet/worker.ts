/** Piscina worker entry: one encode task per call. The Parquet buffer is transferred back, not copied. */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { type EncodeResult, type EncodeTask, encodeParquet } from './encode.js';

export default function run(task: EncodeTask): unknown {
  const result: EncodeResult = encodeParquet(task);
  return move({ [transferableSymbol]: [result.parquet.buffer], [valueSymbol]: result } as never);
}
