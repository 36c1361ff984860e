/**
 * Table schemas read from the committer, per table URI, for a while: the builder conforms new files to them (so
 * column types stay put) and computes their statistics as the table's data-skipping properties say; a schema refusal
 * drops the entry so the next batch reads it again.
 */
export class SchemaCache {
  private readonly schemas = new Map<
    string,
    { json: string; statsConfiguration: Record<string, string>; at: number }
  >();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  set(tableUri: string, json: string, statsConfiguration: Record<string, string> = {}): void {
    this.schemas.set(tableUri, { json, statsConfiguration, at: this.now() });
  }

  get(tableUri: string): string | undefined {
    return this.entry(tableUri)?.json;
  }

  /** The table's `delta.dataSkipping*` properties, when known (undefined: the defaults apply). */
  statsConfiguration(tableUri: string): Record<string, string> | undefined {
    const c = this.entry(tableUri)?.statsConfiguration;
    return c && Object.keys(c).length > 0 ? c : undefined;
  }

  delete(tableUri: string): void {
    this.schemas.delete(tableUri);
  }

  private entry(tableUri: string) {
    const cached = this.schemas.get(tableUri);
    return cached && this.now() - cached.at <= this.ttlMs ? cached : undefined;
  }
}
