import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temporary directories of one run, removed together at the end (or on Ctrl-C). */
export class TempDirs {
  private readonly dirs: string[] = [];

  public make(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), `loadbearing-diff-${prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  public removeAll(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}
