/** A resource that exists on only one side of a diff. */
export interface UnpairedResource {
  readonly logicalId: string;
  readonly type: string;
  /** Full construct path, when the template carries it. */
  readonly path?: string;
  readonly properties?: Record<string, unknown>;
}

/**
 * Pairs removed resources with added resources of the same type: what a construct rename or move
 * looks like in a template (CloudFormation itself sees a delete and an unrelated create).
 *
 * Candidates are scored by how many trailing construct-path segments they share (`Db/Writer`
 * and `Database/Writer` share `Writer`), then by how many top-level properties are equal, and
 * paired greedily, best score first. A removed resource with no added one of its type stays
 * unpaired. Deterministic: ties go to the alphabetically first logical IDs.
 *
 * @returns removed logical ID -> added logical ID
 */
export function pairRenames(removed: readonly UnpairedResource[], added: readonly UnpairedResource[]): Map<string, string> {
  const candidates: { from: string; to: string; score: number }[] = [];
  for (const r of removed) {
    for (const a of added) {
      if (a.type !== r.type) continue;
      candidates.push({
        from: r.logicalId,
        to: a.logicalId,
        score: 1000 * sharedTrailingSegments(r.path, a.path) + equalProperties(r.properties, a.properties),
      });
    }
  }
  candidates.sort((x, y) => y.score - x.score || x.from.localeCompare(y.from) || x.to.localeCompare(y.to));
  const pairs = new Map<string, string>();
  const taken = new Set<string>();
  for (const c of candidates) {
    if (pairs.has(c.from) || taken.has(c.to)) continue;
    pairs.set(c.from, c.to);
    taken.add(c.to);
  }
  return pairs;
}

function sharedTrailingSegments(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return 0;
  const x = a.split('/').filter(Boolean).slice(1);
  const y = b.split('/').filter(Boolean).slice(1);
  let n = 0;
  while (n < x.length && n < y.length && x[x.length - 1 - n] === y[y.length - 1 - n]) n++;
  return n;
}

function equalProperties(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): number {
  if (a === undefined || b === undefined) return 0;
  return Object.keys(a).filter((k) => k in b && JSON.stringify(a[k]) === JSON.stringify(b[k])).length;
}
