/**
 * Table schemas read from the committer, per table URI, for a while: the builder conforms new files to them (so
 * column types stay put), and a schema refusal drops the entry so the next batch reads it again.
 */
export class SchemaCache {
  private readonly schemas = new Map<string, { json: string; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  set(tableUri: string, json: string): void {
    this.schemas.set(tableUri, { json, at: this.now() });
  }

  get(tableUri: string): string | undefined {
    const cached = this.schemas.get(tableUri);
    return cached && this.now() - cached.at <= this.ttlMs ? cached.json : undefined;
  }

  delete(tableUri: string): void {
    this.schemas.delete(tableUri);
  }
}
