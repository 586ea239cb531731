import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The example files of a docs page: each fenced block right after a `<!-- example: <name> -->`
 * line, by name. Tests take a page's examples from the page itself, so the page stays true.
 */
export function docExamples(page: string): Map<string, string> {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const out = new Map<string, string>();
  const pattern = /<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g;
  for (const m of text.matchAll(pattern)) out.set(m[1]!, `${m[2]!}\n`);
  return out;
}
