import type { BsonDocument, BsonValue } from '../bson/values.js';
import { type EjsonMode, type EjsonStyle, stringifyExtendedJson } from '../ejson/stringify.js';
import type { MongoPatch } from './types.js';

/**
 * Writes MongoDB change events exactly as the Debezium connector + JsonConverter do, for tests and for
 * the end-to-end generator. Checked byte for byte against the captured fixtures.
 */
export interface MongoEventInput {
  op: 'c' | 'u' | 'd' | 'r';
  after?: BsonDocument | null;
  before?: BsonDocument | null;
  patch?: MongoPatch | null;
  tsMs: number;
  source: {
    name: string;
    db: string;
    collection: string;
    tsMs: number;
    ord: number;
    snapshot?: string;
    version?: string;
    wallTime?: number | null;
    lsid?: string | null;
    txnNumber?: bigint | null;
    rs?: string;
  };
}

export interface MongoEncodeOptions {
  /** `json.serialization.mode` (Debezium ≥ 3.7); `legacy` is every earlier release. */
  serialization?: 'legacy' | 'strict' | 'extended' | 'relaxed';
  /** JsonConverter `schemas.enable`: wrap as `{"schema": …, "payload": …}`. */
  schemas?: boolean;
  /** Envelope generation: `2.1` (with `patch`/`filter`, `source.rs`) or `2.7` (`ts_us`/`ts_ns`, `wallTime`). */
  generation?: '2.1' | '2.7';
  /** Topic, for the schema names (`<topic>.Envelope`, `<topic>.Key`). */
  topic?: string;
}

const DOC_MODES: Record<
  NonNullable<MongoEncodeOptions['serialization']>,
  [EjsonMode, EjsonMode, EjsonStyle]
> = {
  // [after/before, updatedFields, updatedFields style]
  legacy: ['legacy', 'relaxed', 'java-plain'],
  strict: ['legacy', 'legacy', 'java'],
  extended: ['canonical', 'canonical', 'java'],
  relaxed: ['relaxed', 'relaxed', 'java'],
};

/** The Kafka record value (JSON text) of a MongoDB change event. A delete's tombstone is a null value. */
export function encodeMongoEvent(input: MongoEventInput, options: MongoEncodeOptions = {}): string {
  const gen = options.generation ?? '2.7';
  const [docMode, updMode, updStyle] = DOC_MODES[options.serialization ?? 'legacy'];
  const docText = (d: BsonDocument | null | undefined) =>
    d ? stringifyExtendedJson(d, { mode: docMode, style: 'java' }) : null;
  const payload: BsonDocument = new Map<string, BsonValue>();
  payload.set('before', docText(input.before));
  payload.set('after', docText(input.after));
  if (gen === '2.1') {
    payload.set('patch', null);
    payload.set('filter', null);
  }
  payload.set('updateDescription', input.patch ? updateDescription(input.patch, updMode, updStyle) : null);
  payload.set('source', source(input, gen));
  payload.set('op', input.op);
  payload.set('ts_ms', BigInt(input.tsMs));
  payload.set('transaction', null);
  if (!options.schemas) return json(payload);
  const topic = options.topic ?? `${input.source.name}.${input.source.db}.${input.source.collection}`;
  return json(
    new Map<string, BsonValue>([
      ['schema', fromJs(envelopeSchema(topic, gen))],
      ['payload', payload],
    ]),
  );
}

/** The Kafka record key: `{"id": "<relaxed Extended JSON of _id>"}`. */
export function encodeMongoKey(id: BsonValue, options: MongoEncodeOptions = {}): string {
  const payload = new Map<string, BsonValue>([
    ['id', stringifyExtendedJson(id, { mode: 'relaxed', style: 'java' })],
  ]);
  if (!options.schemas) return json(payload);
  const name = `${options.topic ?? 'topic'}.Key`;
  const schema = {
    type: 'struct',
    fields: [{ type: 'string', optional: false, field: 'id' }],
    optional: false,
    name,
  };
  return json(
    new Map<string, BsonValue>([
      ['schema', fromJs(schema)],
      ['payload', payload],
    ]),
  );
}

function updateDescription(p: MongoPatch, mode: EjsonMode, style: EjsonStyle): BsonDocument {
  return new Map<string, BsonValue>([
    ['removedFields', p.unset.length ? p.unset : null],
    ['updatedFields', p.set.size ? stringifyExtendedJson(p.set, { mode, style }) : null],
    [
      'truncatedArrays',
      p.truncatedArrays.length
        ? p.truncatedArrays.map(
            (t) =>
              new Map<string, BsonValue>([
                ['field', t.field],
                ['size', t.size],
              ]),
          )
        : null,
    ],
  ]);
}

function source(input: MongoEventInput, gen: '2.1' | '2.7'): BsonDocument {
  const s = input.source;
  const m = new Map<string, BsonValue>();
  m.set('version', s.version ?? (gen === '2.1' ? '2.1.4.Final' : '2.7.0.Final'));
  m.set('connector', 'mongodb');
  m.set('name', s.name);
  m.set('ts_ms', BigInt(s.tsMs));
  m.set('snapshot', s.snapshot ?? 'false');
  m.set('db', s.db);
  m.set('sequence', null);
  if (gen === '2.1') m.set('rs', s.rs ?? 'rs0');
  else {
    m.set('ts_us', BigInt(s.tsMs) * 1000n);
    m.set('ts_ns', BigInt(s.tsMs) * 1_000_000n);
  }
  m.set('collection', s.collection);
  m.set('ord', s.ord);
  m.set('lsid', s.lsid ?? null);
  m.set('txnNumber', s.txnNumber ?? null);
  if (gen === '2.7')
    m.set('wallTime', s.wallTime === undefined || s.wallTime === null ? null : BigInt(s.wallTime));
  return m;
}

/** Jackson's compact output: no whitespace, int64 as bare digits. */
function json(v: BsonValue): string {
  return stringifyExtendedJson(v, { mode: 'relaxed', style: 'compact' });
}

function fromJs(v: unknown): BsonValue {
  if (Array.isArray(v)) return v.map(fromJs);
  if (v !== null && typeof v === 'object') {
    return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJs(x)]));
  }
  return v as BsonValue;
}

const json1 = (field: string) => ({
  type: 'string',
  optional: true,
  name: 'io.debezium.data.Json',
  version: 1,
  field,
});
const opt = (type: string, field: string, optional = true) => ({ type, optional, field });

function envelopeSchema(topic: string, gen: '2.1' | '2.7'): object {
  const updateDescription = {
    type: 'struct',
    fields: [
      { type: 'array', items: { type: 'string', optional: false }, optional: true, field: 'removedFields' },
      json1('updatedFields'),
      {
        type: 'array',
        items: {
          type: 'struct',
          fields: [opt('string', 'field', false), opt('int32', 'size', false)],
          optional: false,
          name: 'io.debezium.connector.mongodb.changestream.truncatedarray',
          version: 1,
        },
        optional: true,
        field: 'truncatedArrays',
      },
    ],
    optional: true,
    name: 'io.debezium.connector.mongodb.changestream.updatedescription',
    version: 1,
    field: 'updateDescription',
  };
  const snapshot = {
    type: 'string',
    optional: true,
    name: 'io.debezium.data.Enum',
    version: 1,
    parameters: { allowed: 'true,last,false,incremental' },
    default: 'false',
    field: 'snapshot',
  };
  const sourceFields = [
    opt('string', 'version', false),
    opt('string', 'connector', false),
    opt('string', 'name', false),
    opt('int64', 'ts_ms', false),
    snapshot,
    opt('string', 'db', false),
    opt('string', 'sequence'),
    ...(gen === '2.1' ? [opt('string', 'rs', false)] : [opt('int64', 'ts_us'), opt('int64', 'ts_ns')]),
    opt('string', 'collection', false),
    opt('int32', 'ord', false),
    opt('string', 'lsid'),
    opt('int64', 'txnNumber'),
    ...(gen === '2.7' ? [opt('int64', 'wallTime')] : []),
  ];
  const transaction = {
    type: 'struct',
    fields: [
      opt('string', 'id', false),
      opt('int64', 'total_order', false),
      opt('int64', 'data_collection_order', false),
    ],
    optional: true,
    name: 'event.block',
    version: 1,
    field: 'transaction',
  };
  return {
    type: 'struct',
    fields: [
      json1('before'),
      json1('after'),
      ...(gen === '2.1' ? [json1('patch'), json1('filter')] : []),
      updateDescription,
      {
        type: 'struct',
        fields: sourceFields,
        optional: false,
        name: 'io.debezium.connector.mongo.Source',
        field: 'source',
      },
      opt('string', 'op'),
      opt('int64', 'ts_ms'),
      transaction,
    ],
    optional: false,
    name: `${topic}.Envelope`,
  };
}
