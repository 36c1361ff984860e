/**
 * The order of row versions in a mirror table. An event replaces a stored row only if it is newer, so replays,
 * duplicates and late events never move a row backwards.
 *
 * A version is the event's source sequence (MongoDB `[ts_ms, ord]`, PostgreSQL `[lastCommitLsn, lsn]`, MySQL
 * `[file, pos, row]`; bson-arrow's `SourceSequence`) plus its Kafka position. The Kafka offset only breaks ties
 * between events of the same partition: several changes inside one source transaction share a sequence (one
 * MongoDB transaction touching a document twice), and Kafka keeps them in source order within a partition. Across
 * partitions offsets mean nothing, so equal sequences there are equal versions (the stored row is kept).
 */

export interface RowVersion {
  /** Source sequence parts as decimal integers joined by `.`, without leading zeros (see {@link compactSeq}). */
  readonly seq: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * The compact form of a sequence text: bson-arrow writes each part as 20 zero-padded digits (`_cdc_seq`); the index
 * stores them without the padding. Both forms compare the same under {@link compareSeq}.
 */
export function compactSeq(text: string): string {
  return text
    .split('.')
    .map((p) => {
      if (!/^\d+$/.test(p)) throw new Error(`invalid source sequence ${JSON.stringify(text)}`);
      return p.replace(/^0+(?=\d)/, '');
    })
    .join('.');
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compares two sequence texts part by part; a missing part counts as 0 (as bson-arrow's `compareSequence`). */
export function compareSeq(a: string, b: string): number {
  if (a === b) return 0;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const c = compareDigits(pa[i] ?? '0', pb[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

/** Negative when `a` is older than `b`, positive when newer, 0 when neither replaces the other. */
export function compareVersion(a: RowVersion, b: RowVersion): number {
  const bySeq = compareSeq(a.seq, b.seq);
  if (bySeq !== 0) return bySeq;
  if (a.partition !== b.partition) return 0;
  return a.offset === b.offset ? 0 : a.offset < b.offset ? -1 : 1;
}

/** Whether an incoming version replaces a stored one: strictly newer only (ties keep what is stored). */
export function supersedes(incoming: RowVersion, stored: RowVersion): boolean {
  return compareVersion(incoming, stored) > 0;
}
