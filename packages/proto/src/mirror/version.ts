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

/**
 * Compares two sequence texts part by part; a missing part counts as 0 (as bson-arrow's `compareSequence`). Every
 * mirror row's version goes through here, several times per commit, so it walks the texts in place: no split, no
 * regex, no strings allocated.
 */
export function compareSeq(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i <= a.length || j <= b.length) {
    const ie = partEnd(a, i);
    const je = partEnd(b, j);
    let x = i;
    let y = j;
    while (x < ie && a.charCodeAt(x) === 48) x++;
    while (y < je && b.charCodeAt(y) === 48) y++;
    // Without leading zeros, a longer run of digits is the larger number; equal lengths compare digit by digit.
    if (ie - x !== je - y) return ie - x < je - y ? -1 : 1;
    for (; x < ie; x++, y++) {
      const d = a.charCodeAt(x) - b.charCodeAt(y);
      if (d !== 0) return d < 0 ? -1 : 1;
    }
    i = ie + 1;
    j = je + 1;
  }
  return 0;
}

/** End of the part starting at `from` (a text already consumed has only empty parts left). */
function partEnd(text: string, from: number): number {
  if (from > text.length) return from;
  const dot = text.indexOf('.', from);
  return dot < 0 ? text.length : dot;
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
