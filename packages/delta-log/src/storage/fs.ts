/**
 * Local filesystem storage. Put-if-absent writes a uniquely named temp file and then hard-links it to the
 * target: `link(2)` fails with EEXIST if the target exists, atomically, and the target only ever appears
 * with its full content (an `O_EXCL` create would expose a half-written commit to concurrent readers).
 *
 * Small reads (commits, `_last_checkpoint`, deletion vectors) are synchronous: from the page cache they take
 * microseconds, while an asynchronous `readFile` is four or five trips through the thread pool and the event
 * loop (open, stat, read, close), each of which waits for a CPU on a loaded machine. Larger files are read
 * asynchronously so a big checkpoint or data file never blocks the event loop for long.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, constants, promises as fs, fstatSync, openSync, readSync } from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FileNotFoundError, StorageError } from '../errors.js';
import type { ByteRange, FileMeta, ListOptions, Storage } from './storage.js';

/** Reads up to this size are synchronous (see the module comment). */
const SYNC_READ_MAX = 1 << 20;

function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as { code?: string }).code ?? '');
}

export class FsStorage implements Storage {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = nodePath.resolve(root.startsWith('file:') ? fileURLToPath(root) : root);
    this.location = pathToFileURL(this.root).href;
  }

  private abs(path: string): string {
    return nodePath.resolve(this.root, path);
  }

  async get(path: string, range?: ByteRange): Promise<Uint8Array> {
    try {
      const small = this.readSmall(this.abs(path), range);
      if (small) return small;
      if (!range) return new Uint8Array(await fs.readFile(this.abs(path)));
      const fh = await fs.open(this.abs(path), 'r');
      try {
        const buf = new Uint8Array(range.length);
        const { bytesRead } = await fh.read(buf, 0, range.length, range.offset);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) throw new FileNotFoundError(path);
      throw new StorageError(`read ${this.abs(path)} failed`, { cause: err });
    }
  }

  /** The bytes when the file (or range) is at most SYNC_READ_MAX, else undefined (read it asynchronously). */
  private readSmall(abs: string, range: ByteRange | undefined): Uint8Array | undefined {
    if (range && range.length > SYNC_READ_MAX) return undefined;
    const fd = openSync(abs, 'r');
    try {
      const size = range ? range.length : fstatSync(fd).size;
      if (size > SYNC_READ_MAX) return undefined;
      const buf = new Uint8Array(size);
      let done = 0;
      for (;;) {
        const n = readSync(fd, buf, done, size - done, (range?.offset ?? 0) + done);
        done += n;
        if (n === 0 || done === size) break;
      }
      return done === size ? buf : buf.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  }

  async head(path: string): Promise<FileMeta | undefined> {
    try {
      const st = await fs.stat(this.abs(path));
      if (!st.isFile()) return undefined;
      return { path, size: st.size, lastModified: Math.floor(st.mtimeMs) };
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
      throw new StorageError(`stat ${this.abs(path)} failed`, { cause: err });
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<FileMeta[]> {
    // The prefix is "directory part" + "name prefix": `_delta_log/0000` lists `_delta_log/` entries starting 0000.
    const slash = prefix.lastIndexOf('/');
    const dir = slash >= 0 ? prefix.slice(0, slash) : '';
    const namePrefix = slash >= 0 ? prefix.slice(slash + 1) : prefix;
    const out: FileMeta[] = [];
    await this.walk(dir, namePrefix, options.recursive ?? false, options.startAfter, out);
    out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return options.limit !== undefined ? out.slice(0, Math.max(0, options.limit)) : out;
  }

  private async walk(
    dir: string,
    namePrefix: string,
    recursive: boolean,
    startAfter: string | undefined,
    out: FileMeta[],
  ): Promise<void> {
    if (!recursive) return this.walkFlat(dir, namePrefix, startAfter, out);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(this.abs(dir), { withFileTypes: true });
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return;
      throw new StorageError(`list ${this.abs(dir)} failed`, { cause: err });
    }
    const stats: Array<Promise<void>> = [];
    for (const e of entries) {
      if (!e.name.startsWith(namePrefix)) continue;
      const key = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (recursive) await this.walk(key, '', true, startAfter, out);
      } else if (e.isFile()) {
        // Filter before stat: a listing from the checkpoint hint stats a handful of files, not the whole log.
        if (startAfter !== undefined && key <= startAfter) continue;
        stats.push(
          fs.stat(this.abs(key)).then(
            (st) => {
              out.push({ path: key, size: st.size, lastModified: Math.floor(st.mtimeMs) });
            },
            (err) => {
              // Deleted between readdir and stat: it is simply not there any more.
              if (!isCode(err, 'ENOENT')) throw err;
            },
          ),
        );
      }
    }
    await Promise.all(stats);
  }

  /**
   * One directory level: names only (a `_delta_log` of 10k commits makes 10k Dirent objects otherwise), and
   * only the names after `startAfter` are stat'ed (a listing from the checkpoint hint stats a handful).
   */
  private async walkFlat(
    dir: string,
    namePrefix: string,
    startAfter: string | undefined,
    out: FileMeta[],
  ): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.abs(dir));
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return;
      throw new StorageError(`list ${this.abs(dir)} failed`, { cause: err });
    }
    const keys = names
      .filter((n) => n.startsWith(namePrefix))
      .map((n) => (dir ? `${dir}/${n}` : n))
      .filter((key) => startAfter === undefined || key > startAfter);
    await Promise.all(
      keys.map((key) =>
        fs.stat(this.abs(key)).then(
          (st) => {
            if (st.isFile()) out.push({ path: key, size: st.size, lastModified: Math.floor(st.mtimeMs) });
          },
          (err) => {
            // Deleted between readdir and stat: it is simply not there any more.
            if (!isCode(err, 'ENOENT')) throw err;
          },
        ),
      ),
    );
  }

  async putIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    const target = this.abs(path);
    await fs.mkdir(nodePath.dirname(target), { recursive: true });
    const tmp = `${nodePath.dirname(target)}/.${nodePath.basename(target)}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, data, { flag: 'wx' });
    try {
      await fs.link(tmp, target);
      return true;
    } catch (err) {
      if (isCode(err, 'EEXIST')) return false;
      if (isCode(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV')) return this.putExclusive(target, data);
      throw new StorageError(`create ${target} failed`, { cause: err });
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /** Fallback for filesystems without hard links: O_EXCL create (atomic existence check, not atomic content). */
  private async putExclusive(target: string, data: Uint8Array): Promise<boolean> {
    try {
      const fh = await fs.open(target, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return true;
    } catch (err) {
      if (isCode(err, 'EEXIST')) return false;
      throw new StorageError(`create ${target} failed`, { cause: err });
    }
  }

  async put(path: string, data: Uint8Array): Promise<void> {
    const target = this.abs(path);
    await fs.mkdir(nodePath.dirname(target), { recursive: true });
    const tmp = `${nodePath.dirname(target)}/.${nodePath.basename(target)}.${randomUUID()}.tmp`;
    try {
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw new StorageError(`write ${target} failed`, { cause: err });
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await fs.rm(this.abs(path), { force: true });
    } catch (err) {
      throw new StorageError(`delete ${this.abs(path)} failed`, { cause: err });
    }
  }

  keyForUri(uri: string): string | undefined {
    let abs: string;
    if (uri.startsWith('file:')) abs = `/${uri.slice(5).replace(/^\/+/, '')}`;
    else if (uri.startsWith('/')) abs = uri;
    else return undefined;
    // Keys may climb out of the root: a local table can reference any absolute local path.
    return nodePath.relative(this.root, abs).split(nodePath.sep).join('/');
  }
}
