/**
 * The JSON value encoding used by `delta-log scan` (and by the team's independent readers, so rows compare
 * with deep equality): driven by the Delta type, lossless, plain JSON.
 *
 * | Delta type | JSON |
 * |-|-|
 * | string, boolean | as is |
 * | byte, short, integer | number |
 * | long | decimal string (`"12"`), since JSON numbers lose 64-bit precision |
 * | float, double | number, or `"NaN"`, `"Infinity"`, `"-Infinity"` |
 * | decimal(p,s) | string with exactly s fraction digits (`"-1.50"`) |
 * | binary | base64 string |
 * | date | `"YYYY-MM-DD"` |
 * | timestamp | `"YYYY-MM-DDTHH:MM:SS.ffffffZ"` (UTC) |
 * | timestamp_ntz | `"YYYY-MM-DDTHH:MM:SS.ffffff"` |
 * | struct | object by field name |
 * | array | array |
 * | map | object with keys sorted; a key is its encoded string, or the JSON text of a non-string encoding |
 */
import * as A from 'apache-arrow';
import { formatDecimal } from '../scan/partition-values.js';
import type { DataType, StructType } from '../schema/types.js';

export type EncodedValue = null | boolean | number | string | EncodedValue[] | { [k: string]: EncodedValue };

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function isoMicros(us: bigint): string {
  const ms = Number(us >= 0n ? us / 1000n : -((-us + 999n) / 1000n));
  const micros = Number(((us % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  return `${year < 0 ? '-' : ''}${pad(Math.abs(year), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micros, 6)}`;
}

const UNIT: Record<number, [bigint, bigint]> = {
  [A.TimeUnit.SECOND]: [1_000_000n, 1n],
  [A.TimeUnit.MILLISECOND]: [1000n, 1n],
  [A.TimeUnit.MICROSECOND]: [1n, 1n],
  [A.TimeUnit.NANOSECOND]: [1n, 1000n],
};

type Encoder = (i: number) => EncodedValue;

/** An encoder for row `i` of a column `data` (one Arrow chunk) of Delta type `type`. */
export function columnEncoder(data: A.Data, type: DataType): Encoder {
  const valid = (i: number) => data.getValid(i);
  if (typeof type === 'object') {
    if (type.type === 'struct') {
      const kids = type.fields.map(
        (f, k) => [f.name, columnEncoder(data.children[k] as A.Data, f.type)] as const,
      );
      return (i) => {
        if (!valid(i)) return null;
        const o: Record<string, EncodedValue> = {};
        for (const [name, enc] of kids) o[name] = enc(i);
        return o;
      };
    }
    if (type.type === 'array') {
      const child = data.children[0];
      const enc = child ? columnEncoder(child, type.elementType) : () => null;
      const off = data.valueOffsets as Int32Array;
      return (i) => {
        if (!valid(i)) return null;
        const out: EncodedValue[] = [];
        for (let j = off[i] as number; j < (off[i + 1] as number); j++) out.push(enc(j));
        return out;
      };
    }
    if (type.type === 'map') {
      const entries = data.children[0];
      const keyEnc = entries ? columnEncoder(entries.children[0] as A.Data, type.keyType) : () => null;
      const valEnc = entries ? columnEncoder(entries.children[1] as A.Data, type.valueType) : () => null;
      const off = data.valueOffsets as Int32Array;
      return (i) => {
        if (!valid(i)) return null;
        const pairs: Array<[string, EncodedValue]> = [];
        for (let j = off[i] as number; j < (off[i + 1] as number); j++) {
          const k = keyEnc(j);
          pairs.push([typeof k === 'string' ? k : JSON.stringify(k), valEnc(j)]);
        }
        pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        return Object.fromEntries(pairs);
      };
    }
    const scale = type.scale;
    const words = data.values as Uint32Array;
    return (i) => {
      if (!valid(i)) return null;
      let v = 0n;
      for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(words[4 * i + k] as number);
      if (v >> 127n) v -= 1n << 128n;
      return formatDecimal(v, scale);
    };
  }
  switch (type) {
    case 'long': {
      const values = data.values as BigInt64Array;
      return (i) => (valid(i) ? String(values[i]) : null);
    }
    case 'byte':
    case 'short':
    case 'integer': {
      const values = data.values as Int32Array;
      return (i) => (valid(i) ? Number(values[i]) : null);
    }
    case 'float':
    case 'double': {
      const values = data.values as Float64Array;
      return (i) => {
        if (!valid(i)) return null;
        const v = values[i] as number;
        if (Number.isNaN(v)) return 'NaN';
        if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
        return v;
      };
    }
    case 'date': {
      const values = data.values as Int32Array;
      return (i) => (valid(i) ? isoMicros(BigInt(values[i] as number) * 86_400_000_000n).slice(0, 10) : null);
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      const values = data.values as unknown as BigInt64Array;
      const [mul, div] = UNIT[(data.type as A.Timestamp).unit] ?? [1n, 1n];
      const suffix = type === 'timestamp' ? 'Z' : '';
      return (i) => (valid(i) ? `${isoMicros(((values[i] as bigint) * mul) / div)}${suffix}` : null);
    }
    case 'binary': {
      const vec = new A.Vector([data]);
      return (i) => (valid(i) ? Buffer.from(vec.get(i) as Uint8Array).toString('base64') : null);
    }
    case 'boolean':
    case 'string': {
      const vec = new A.Vector([data]);
      return (i) => (valid(i) ? (vec.get(i) as string | boolean) : null);
    }
    default:
      return () => null;
  }
}

/** Encodes every row of `batch` (whose columns follow `schema`) as a JSON object. */
export function* encodeRows(
  batch: A.RecordBatch,
  schema: StructType,
): Generator<Record<string, EncodedValue>> {
  const encoders = schema.fields.map(
    (f, k) => [f.name, columnEncoder(batch.data.children[k] as A.Data, f.type)] as const,
  );
  for (let i = 0; i < batch.numRows; i++) {
    const row: Record<string, EncodedValue> = {};
    for (const [name, enc] of encoders) row[name] = enc(i);
    yield row;
  }
}
