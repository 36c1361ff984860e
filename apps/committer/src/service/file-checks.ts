/**
 * The data-file checks of a manifest (each added file exists with its stated size) are started when the manifest
 * arrives and awaited only when its batch is about to commit, so the HEAD requests overlap the group-commit wait
 * instead of adding a round trip before it. A manifest whose files fail is answered with its own refusal and left out
 * of the batch; the others commit (a later range of the same partition then reads as a gap, as after any refusal).
 */
import { type CommitRequest, type DataFile, type Refusal, refuse, type TableRef } from '@delta-writer/proto';

export type VerifyFiles = (table: TableRef, files: readonly DataFile[]) => Promise<string | undefined>;

export class FileChecks {
  private readonly running = new WeakMap<CommitRequest, Promise<Refusal | undefined>>();

  constructor(
    private readonly verify: VerifyFiles,
    /** Told about every manifest whose files are not in storage as stated (for the log). */
    private readonly onProblem: (request: CommitRequest, problem: string) => void,
  ) {}

  /** Starts the checks of `request` (no-op for a manifest without files). */
  start(request: CommitRequest): void {
    if (request.files.length === 0 || this.running.has(request)) return;
    const check = this.verify(request.table as TableRef, request.files).then(
      (problem) => {
        if (problem === undefined) return undefined;
        this.onProblem(request, problem);
        return refuse.invalidRequest(problem);
      },
      (error: unknown) =>
        refuse.retryLater(`checking the data files failed: ${(error as Error).message}`, 1_000),
    );
    this.running.set(request, check);
  }

  /** The refusal of each manifest whose checks failed (undefined where they passed or there were none), in order. */
  settle(manifests: readonly CommitRequest[]): Promise<(Refusal | undefined)[]> {
    return Promise.all(manifests.map((m) => this.running.get(m)));
  }
}
