/** `pnpm bench`: every ingestor benchmark, printing numbers and ratios to a baseline measured in the same run. */
import { runParquetCodecBench } from './parquet-codec.js';

runParquetCodecBench();
