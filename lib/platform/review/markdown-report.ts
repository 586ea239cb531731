import { displayPath } from './construct-paths';
import { allowListSnippet, blockedHeadline, changeSummary, countSummary, impactKind } from './report-parts';
import { isChanged, type Review } from './review';
import type { Hazard } from './stack-review';
import { listedChanges, proceedHint, verdict, type ReportOptions } from './text-report';

/** GitHub rejects comments over 65536 characters; the full diffs are cut to fit well below that. */
export const MAX_DETAILS_CHARS = 40_000;

/** The review as Markdown for a pull-request comment. */
export function markdownReport(review: Review, options: ReportOptions): string {
  const out: string[] = [];
  out.push(`## Synth diff: ${code(review.base)} -> ${code(review.head)}`, '');
  out.push(`**${verdict(review)}**`, '');

  if (review.blocking.length > 0) {
    out.push(`### Blocking: ${blockedHeadline(review)}`, '');
    for (const h of review.blocking) out.push(...hazardItem(h));
    out.push(
      '',
      proceedHint(options),
      '',
      '```json',
      ...review.blocking.map((h, i, all) => `${allowListSnippet(h)}${i < all.length - 1 ? ',' : ''}`),
      '```',
      '',
    );
  }
  if (review.allowed.length > 0) {
    out.push(`### Allowed by ${code(options.allowListPath ?? 'the allow-list')}`, '');
    for (const { hazard, entry } of review.allowed) {
      out.push(
        `- ${code(hazard.stack)} ${resource(hazard)}: ${escapeMarkdown(hazard.reason)}`,
        `  - allowed: ${escapeMarkdown(entry.reason)}`,
      );
    }
    out.push('');
  }
  const risks = review.stacks.flatMap((s) => s.rollbackRisks.map((r) => ({ stack: s.stack, ...r })));
  if (risks.length > 0) {
    out.push(
      '### Rollback can fail',
      '',
      '`loadbearing deploy` asks for `--approve-stateful` before it deploys these:',
      '',
      ...risks.map((r) => `- ${escapeMarkdown(`${r.stack}: ${r.logicalId} (${r.type}): ${r.change}. ${r.reason}`)}`),
      '',
    );
  }
  const warnings = [...(options.notes ?? []), ...review.stacks.flatMap((s) => s.warnings.map((w) => `${s.stack}: ${w}`))];
  if (warnings.length > 0) {
    out.push('### Warnings', '', ...warnings.map((w) => `- ${escapeMarkdown(w)}`), '');
  }

  out.push('### Stacks', '', '| Stack | Changes |', '| --- | --- |');
  for (const s of review.stacks) out.push(`| ${code(s.stack)} | ${escapeMarkdown(countSummary(s))} |`);
  out.push('');

  let detailsBudget = MAX_DETAILS_CHARS;
  for (const stack of review.stacks.filter((s) => isChanged(s) && s.presence !== 'removed')) {
    out.push(`### ${stack.stack}`, '');
    if (stack.changes.length > 0) {
      out.push('| Change | Type | Logical ID | Construct path | What changed |', '| --- | --- | --- | --- | --- |');
      const listed = listedChanges(stack.changes);
      for (const c of listed) {
        const path = displayPath(c.path);
        const notes = (c.notes ?? []).map((n) => ` **${escapeMarkdown(n.text)}** (\`${n.rule}\`)`).join('');
        out.push(
          `| ${c.kind}${c.stateful ? ' (stateful)' : ''} | ${code(c.type)} | ${code(c.logicalId)} | ${path ? code(path) : ''} | ${escapeMarkdown(changeSummary(c))}${notes} |`,
        );
      }
      if (stack.changes.length > listed.length)
        out.push('', `... and ${stack.changes.length - listed.length} more (see the full diff below).`);
      out.push('');
    }
    if (stack.impacts.length > 0) {
      out.push(
        '**Through references** (the template text of these is unchanged; a resource they refer to is replaced or cannot be updated)',
        '',
      );
      out.push('| Effect | Type | Logical ID | Construct path | Chain |', '| --- | --- | --- | --- | --- |');
      for (const i of stack.impacts) {
        const path = displayPath(i.path);
        out.push(
          `| ${impactKind(i)}${i.stateful ? ' (stateful)' : ''} | ${code(i.type)} | ${code(i.logicalId)} | ${path ? code(path) : ''} | ${escapeMarkdown(i.chain)} |`,
        );
      }
      out.push('');
    }
    for (const table of stack.iamTables) out.push('**IAM changes**', '', ...markdownTable(table), '');
    if (stack.securityGroupTable.length > 0) out.push('**Security group changes**', '', ...markdownTable(stack.securityGroupTable), '');
    if (stack.details) {
      const text =
        stack.details.length > detailsBudget
          ? `${stack.details.slice(0, Math.max(0, detailsBudget))}\n... (cut: run \`npm run diff -- --details\` for the rest)`
          : stack.details;
      detailsBudget -= Math.min(stack.details.length, detailsBudget);
      out.push(
        `<details><summary>Full diff of ${stack.stack}</summary>`,
        '',
        '```text',
        text.replace(/```/g, "'''"),
        '```',
        '',
        '</details>',
        '',
      );
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function hazardItem(h: Hazard): string[] {
  return [`- ${code(h.stack)} ${resource(h)}`, `  - ${escapeMarkdown(h.reason)}`, `  - fix: ${escapeMarkdown(h.fix)}`];
}

function resource(r: { logicalId: string; type: string; path?: string }): string {
  const path = displayPath(r.path);
  return `${code(r.logicalId)} (${code(r.type)}${path ? `, ${code(path)}` : ''})`;
}

function markdownTable(table: readonly string[][]): string[] {
  const [header, ...rows] = table;
  const cell = (v: string) => escapeMarkdown(v.replace(/\n/g, ' '));
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

/** Inline code that survives backticks in the value. */
function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** Keeps a value from breaking a table (`|`) or turning into HTML (`<`). */
function escapeMarkdown(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}
