import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The project folder (the one with package.json and cdk.json) above `from`: the same answer for
 * a module run from its TypeScript source (bin/x.ts) and from dist/ (dist/bin/x.js).
 */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'cdk.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project folder (package.json and cdk.json) above ${from}`);
  }
}
