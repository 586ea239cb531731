import { formatTable } from '@aws-cdk/cloudformation-diff';
import { displayPath } from './construct-paths';
import { allowListSnippet, blockedHeadline, changeSummary, countSummary, impactKind, plural, resourceLabel } from './report-parts';
import { isChanged, type Review } from './review';
import { stripAnsi, type Hazard } from './stack-review';

export interface ReportOptions {
  /** The allow-list file, as the user should see it; undefined when there is none (the report then does not mention one). */
  readonly allowListPath?: string;
  /** How many entries it has. */
  readonly allowListEntries: number;
  /** With no allow-list: how to start one, for a deliberate loss (see `locateAllowList`). */
  readonly allowListSetup?: string;
  /** Run-level warnings (e.g. the baseline uses other dependencies). */
  readonly notes?: readonly string[];
  /** Include the library's full property-level diff. @default false */
  readonly details?: boolean;
}

/** Most modified resources listed per stack; the rest are counted (a tag change touches every resource). */
export const MAX_LISTED = 40;

/** The changes a report lists: the first MAX_LISTED, and every change with a note (a restart or a roll is never cut). */
export function listedChanges<C extends { readonly notes?: readonly unknown[] }>(changes: readonly C[]): C[] {
  return changes.filter((c, i) => i < MAX_LISTED || (c.notes?.length ?? 0) > 0);
}

/** The review as plain text for a terminal or CI log. */
export function textReport(review: Review, options: ReportOptions): string {
  const out: string[] = [];
  out.push(`Synth diff: ${review.base} -> ${review.head}`);
  if (options.allowListPath !== undefined)
    out.push(`Allow-list: ${options.allowListPath} (${plural(options.allowListEntries, 'entry', 'entries')})`);
  out.push('');
  const width = Math.max(...review.stacks.map((s) => s.stack.length));
  for (const stack of review.stacks) {
    out.push(`${stack.stack.padEnd(width)}  ${countSummary(stack)}`);
    if (!isChanged(stack)) continue;
    const listed = listedChanges(stack.changes);
    for (const c of listed) {
      const path = displayPath(c.path);
      out.push(
        `  ${c.kind.padEnd(8)}  ${c.type}  ${c.logicalId}${path ? `  ${path}` : ''}${c.stateful ? '  [stateful]' : ''}${summaryOrEmpty(changeSummary(c))}`,
      );
      for (const note of c.notes ?? []) out.push(`            ${note.text} (${note.rule})`);
    }
    if (stack.changes.length > listed.length)
      out.push(`  ... and ${stack.changes.length - listed.length} more (see --details or --markdown)`);
    for (const i of stack.impacts)
      out.push(
        `  ${impactKind(i).padEnd(8)}  ${i.type}  ${i.logicalId}${displayPath(i.path) ? `  ${displayPath(i.path)}` : ''}${i.stateful ? '  [stateful]' : ''}  through references: ${i.chain}`,
      );
    for (const table of stack.iamTables)
      out.push(
        '  IAM changes:',
        indent(
          formatTable(
            table.map((r) => [...r]),
            120,
          ),
          4,
        ),
      );
    if (stack.securityGroupTable.length > 0)
      out.push(
        '  Security group changes:',
        indent(
          formatTable(
            stack.securityGroupTable.map((r) => [...r]),
            120,
          ),
          4,
        ),
      );
    if (options.details && stack.details) out.push('  Details:', indent(stack.details, 4));
    out.push('');
  }
  if (review.stacks.length > 0 && out[out.length - 1] !== '') out.push('');

  if (review.blocking.length > 0) {
    out.push(`BLOCKED: ${blockedHeadline(review)}`);
    for (const h of review.blocking) out.push(...hazardLines(h));
    out.push(
      '',
      proceedHint(options),
      ...review.blocking.map((h, i, all) => `  ${allowListSnippet(h)}${i < all.length - 1 ? ',' : ''}`),
      '',
    );
  }
  if (review.allowed.length > 0) {
    out.push(`Allowed by ${options.allowListPath}:`);
    for (const { hazard, entry } of review.allowed) {
      out.push(`  ${hazard.stack}: ${resourceLabel(hazard)}`, `    ${hazard.reason}`, `    allowed: ${entry.reason}`);
    }
    out.push('');
  }
  const risks = review.stacks.flatMap((s) => s.rollbackRisks.map((r) => ({ stack: s.stack, ...r })));
  if (risks.length > 0) {
    out.push('Rollback can fail (`loadbearing deploy` asks for --approve-stateful):');
    for (const r of risks)
      out.push(
        `  ${r.stack}: ${r.logicalId} (${r.type})${displayPath(r.path) ? `  ${displayPath(r.path)}` : ''}: ${r.change}`,
        `    ${r.reason}`,
      );
    out.push('');
  }
  const warnings = [...(options.notes ?? []), ...review.stacks.flatMap((s) => s.warnings.map((w) => `${s.stack}: ${w}`))];
  if (warnings.length > 0) {
    out.push('Warnings:', ...warnings.map((w) => `  - ${w}`), '');
  }
  out.push(verdict(review));
  return `${stripAnsi(out.join('\n'))}\n`;
}

function hazardLines(h: Hazard): string[] {
  return [`  ${h.stack}: ${resourceLabel(h)}`, `    ${h.reason}`, `    fix: ${h.fix}`];
}

/** What to do about blocking changes besides fixing them: an entry in the allow-list, or how to start one. */
export function proceedHint(options: Pick<ReportOptions, 'allowListPath' | 'allowListSetup'>): string {
  const start = 'If a loss is deliberate: snapshot the data or plan the migration first, then ';
  if (options.allowListPath !== undefined) return `${start}add an entry with the real reason to ${options.allowListPath}:`;
  return `${start}allow it with the real reason: ${options.allowListSetup ?? 'pass an allow-list with --allow-list <file>'}:`;
}

/** The last line of every report. */
export function verdict(review: Review): string {
  if (review.blocking.length > 0) return `Result: ${plural(review.blocking.length, 'blocking change')} to stateful resources (exit 1).`;
  if (!review.changed) return 'No changes: every template matches the baseline.';
  const changed = review.stacks.filter(isChanged).length;
  const allowed = review.allowed.length > 0 ? `, ${plural(review.allowed.length, 'allowed replacement')}` : '';
  const interruptions = review.stacks.flatMap((s) => s.changes).filter((c) => c.notes?.some((n) => n.sameAs === undefined)).length;
  const noted =
    interruptions > 0 ? `; ${plural(interruptions, 'restart or roll', 'restarts or rolls')} while it deploys: see the notes` : '';
  return `Result: no blocking changes (${plural(changed, 'stack')} changed${allowed}${noted}).`;
}

function summaryOrEmpty(summary: string): string {
  return summary ? `  ${summary}` : '';
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
