/**
 * Copies of Arrow data that own their memory. Arrow JS reads IPC without copying: every column of a decoded table is
 * a view into the one buffer the IPC bytes came in, so keeping any column keeps all of them. A checkpoint's `add`
 * column outlives the rest of its file (removes, protocol, txns), and with a mirror table's tombstones the rest is
 * most of it: a standby's external memory went 6 → 221 MiB holding four tables' adds (e2e/results/2026-12-06.md).
 */
import * as A from 'apache-arrow';

const copy = <T extends ArrayBufferView & { slice(): T }>(b: T | undefined): T | undefined => b?.slice();

/** `data` with every buffer copied out of the memory it shared (children included). */
export function detachData<T extends A.DataType>(data: A.Data<T>): A.Data<T> {
  const buffers = {
    [A.BufferType.OFFSET]: copy(data.valueOffsets as Int32Array | undefined),
    [A.BufferType.DATA]: copy(data.values as Uint8Array | undefined),
    [A.BufferType.VALIDITY]: copy(data.nullBitmap),
    [A.BufferType.TYPE]: copy(data.typeIds),
  } as unknown as Partial<A.Data<T>['buffers']>;
  return new A.Data(
    data.type,
    data.offset,
    data.length,
    data.nullCount,
    buffers,
    data.children.map((child) => detachData(child)),
    data.dictionary,
  );
}

/** Bytes of the distinct memory blocks `data` keeps alive (children included). */
export function retainedBytes(data: A.Data, seen = new Set<ArrayBufferLike>()): number {
  let n = 0;
  for (const b of [data.valueOffsets, data.values, data.nullBitmap, data.typeIds] as (
    | ArrayBufferView
    | undefined
  )[]) {
    if (b && !seen.has(b.buffer)) {
      seen.add(b.buffer);
      n += b.buffer.byteLength;
    }
  }
  for (const child of data.children) n += retainedBytes(child, seen);
  return n;
}
