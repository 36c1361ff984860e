/**
 * Fencing the writes of a leadership term. Every write the committer makes to object storage (Delta commits,
 * checkpoints, log cleanup, vacuum deletes) runs inside {@link runFenced} with the term's AbortSignal; the
 * {@link FencedStorage} checks that signal right before each write, so once the lease is lost (or taken over) a
 * deposed leader writes nothing further. A write outside any term is a bug and throws.
 *
 * The signal is carried by AsyncLocalStorage rather than passed along, because delta-log's commit() calls the
 * storage itself (several conditional puts when it rebases); the check sits at the last moment before each request.
 * A request already on the wire when the signal aborts still lands: the Delta put-if-absent commit is what makes
 * that harmless (a second writer's commit can never take a version that exists).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ByteRange, FileMeta, ListOptions, Storage } from '@delta-writer/delta-log';

const fence = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` with writes allowed for as long as `signal` is not aborted. */
export function runFenced<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return fence.run(signal, fn);
}

export class UnfencedWriteError extends Error {
  override readonly name = 'UnfencedWriteError';
}

export class FencedStorage implements Storage {
  readonly location: string;

  constructor(readonly inner: Storage) {
    this.location = inner.location;
  }

  get(path: string, range?: ByteRange): Promise<Uint8Array> {
    return this.inner.get(path, range);
  }
  head(path: string): Promise<FileMeta | undefined> {
    return this.inner.head(path);
  }
  list(prefix: string, options?: ListOptions): Promise<FileMeta[]> {
    return this.inner.list(prefix, options);
  }
  async putIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    this.check(path);
    return this.inner.putIfAbsent(path, data);
  }
  async put(path: string, data: Uint8Array): Promise<void> {
    this.check(path);
    return this.inner.put(path, data);
  }
  async delete(path: string): Promise<void> {
    this.check(path);
    return this.inner.delete(path);
  }
  keyForUri(uri: string): string | undefined {
    return this.inner.keyForUri(uri);
  }

  private check(path: string): void {
    const signal = fence.getStore();
    if (!signal) throw new UnfencedWriteError(`write of ${path} outside a leadership term`);
    signal.throwIfAborted();
  }
}
