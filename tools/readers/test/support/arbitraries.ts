import fc from 'fast-check';
import type { DeltaType, EncodedRow, EncodedValue } from '../../src/index.js';
import { ALL_TYPES } from './tables.js';

/**
 * fast-check arbitraries for values already in the DW encoding's canonical form (what a reader prints),
 * so a write-then-read must give them back unchanged.
 */
const MICROS_PER_DAY = 86_400_000_000n;
// 0001-01-01 .. 9999-12-31, the range of Python's datetime (and of Delta's timestamps in practice).
const MIN_DAY = -719_162n;
const MAX_DAY = 2_932_896n;

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

function isoDate(days: bigint): string {
  const d = new Date(Number(days) * 86_400_000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

export function isoMicros(micros: bigint): string {
  const days = micros >= 0n ? micros / MICROS_PER_DAY : -((-micros + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
  const inDay = micros - days * MICROS_PER_DAY;
  const seconds = inDay / 1_000_000n;
  const h = seconds / 3600n;
  const m = (seconds % 3600n) / 60n;
  const s = seconds % 60n;
  return `${isoDate(days)}T${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(inDay % 1_000_000n, 6)}`;
}

export function decimalText(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const sign = unscaled < 0n ? '-' : '';
  return scale === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const encodeFloat = (x: number): EncodedValue =>
  Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : x === 0 ? 0 : x;

function primitive(type: string): fc.Arbitrary<EncodedValue> {
  const decimal = /^decimal\((\d+),(\d+)\)$/.exec(type);
  if (decimal?.[1] && decimal[2]) {
    const bound = 10n ** BigInt(decimal[1]) - 1n;
    const scale = Number(decimal[2]);
    return fc.bigInt({ min: -bound, max: bound }).map((u) => decimalText(u, scale));
  }
  const micros = fc.bigInt({ min: MIN_DAY * MICROS_PER_DAY, max: (MAX_DAY + 1n) * MICROS_PER_DAY - 1n });
  switch (type) {
    case 'long':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
    case 'integer':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'short':
      return fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 });
    case 'byte':
      return fc.integer({ min: -128, max: 127 });
    case 'boolean':
      return fc.boolean();
    // -0 is left out: JSON.stringify sends it as 0.
    case 'double':
      return fc.double().map(encodeFloat);
    case 'float':
      return fc.float().map(encodeFloat);
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'binary':
      return fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b).toString('base64'));
    case 'date':
      return fc.bigInt({ min: MIN_DAY, max: MAX_DAY }).map(isoDate);
    case 'timestamp':
      return micros.map((m) => `${isoMicros(m)}Z`);
    case 'timestamp_ntz':
      return micros.map(isoMicros);
    default:
      throw new Error(`no arbitrary for ${type}`);
  }
}

export function encodedValue(type: DeltaType): fc.Arbitrary<EncodedValue> {
  const nullable = <T extends EncodedValue>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 5 });
  if (typeof type === 'string') return nullable(primitive(type));
  if (type.type === 'array') return nullable(fc.array(encodedValue(type.elementType), { maxLength: 4 }));
  if (type.type === 'map') {
    // Map keys are object keys: string-typed keys only here.
    return nullable(
      fc.dictionary(fc.string({ maxLength: 6 }), encodedValue(type.valueType), {
        maxKeys: 4,
        noNullPrototype: true,
      }),
    );
  }
  return nullable(
    fc.record(Object.fromEntries(type.fields.map((f) => [f.name, encodedValue(f.type)])), {
      noNullPrototype: true,
    }),
  );
}

export const allTypesRow: fc.Arbitrary<EncodedRow> = fc.record(
  Object.fromEntries(ALL_TYPES.fields.map((f) => [f.name, encodedValue(f.type)])),
  { noNullPrototype: true },
) as fc.Arbitrary<EncodedRow>;
