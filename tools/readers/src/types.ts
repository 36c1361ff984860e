/** Delta schema JSON, as in the protocol's "Schema Serialization Format" (and as both engines print it). */
export type DeltaType = DeltaPrimitiveType | DeltaStructType | DeltaArrayType | DeltaMapType;

/** `decimal(p,s)` is written as a string too, e.g. `decimal(20,4)`. */
export type DeltaPrimitiveType =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | `decimal(${number},${number})`;

export interface DeltaStructField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata?: Record<string, unknown>;
}

export interface DeltaStructType {
  type: 'struct';
  fields: DeltaStructField[];
}

export interface DeltaArrayType {
  type: 'array';
  elementType: DeltaType;
  containsNull: boolean;
}

export interface DeltaMapType {
  type: 'map';
  keyType: DeltaType;
  valueType: DeltaType;
  valueContainsNull: boolean;
}

/** A value in the DW encoding (README.md "Value encoding"): JSON only, lossless for every Delta type. */
export type EncodedValue =
  | null
  | boolean
  | number
  | string
  | EncodedValue[]
  | { [key: string]: EncodedValue };
export type EncodedRow = Record<string, EncodedValue>;

export interface ReadResult {
  engine: 'delta-rs' | 'spark';
  version: number;
  schema: DeltaStructType;
  /** delta-rs: of the version read; Spark: of the latest version. */
  partitionColumns: string[];
  numRows: number;
  /** Sorted by canonical JSON (see sortRows), so two reads of one snapshot are deep-equal. */
  rows: EncodedRow[];
}

export interface SqlResult {
  engine: 'spark';
  schema: DeltaStructType;
  numRows: number;
  /** In the order Spark returned them. */
  rows: EncodedRow[];
}

export type WriteMode = 'append' | 'overwrite' | 'error';

export type WriteStep =
  | { op: 'write'; rows: EncodedRow[]; mode?: WriteMode; schema?: DeltaStructType; mergeSchema?: boolean }
  | { op: 'checkpoint' }
  | { op: 'optimize' }
  | { op: 'delete'; predicate: string };

/** README.md "Write specs". `rows` is shorthand for a first write step. */
export interface WriteSpec {
  schema?: DeltaStructType;
  partitionBy?: string[];
  /** Table properties, set when the table is created. */
  properties?: Record<string, string>;
  mode?: WriteMode;
  rows?: EncodedRow[];
  steps?: WriteStep[];
}

export interface WriteResult {
  engine: 'delta-rs' | 'spark';
  /** The table version after the last step. */
  version: number;
  /** One entry per step (Spark adds a `create` entry when it had to create the table first). */
  steps: { op: WriteStep['op'] | 'create'; version: number }[];
}
