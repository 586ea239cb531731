import type {
  ZonalShiftCancelReport,
  ZonalShiftResourceState,
  ZonalShiftView,
  ZonalShiftStartReport,
  ZonalShiftStatusReport,
} from './zonal-shift-actions.js';
import { ZONAL_SHIFT_KIND_LABEL } from './zonal-shift-targets.js';

// The text of `loadbearing zonal-shift` (--json prints the reports themselves).

const SHIFT_NAME: Readonly<Record<ZonalShiftView['type'], string>> = {
  ZONAL_SHIFT: 'zonal shift',
  PRACTICE_RUN: 'practice run',
  FIS_EXPERIMENT: 'FIS experiment',
  ZONAL_AUTOSHIFT: 'autoshift',
};

const where = (r: { stack: string; environment: string; region: string }) => `${r.stack} (${r.environment}, ${r.region})`;
const resource = (r: { kind: keyof typeof ZONAL_SHIFT_KIND_LABEL; name: string }) => `${ZONAL_SHIFT_KIND_LABEL[r.kind]} ${r.name}`;

function shiftLine(s: ZonalShiftView): string {
  const outcome = s.practiceRunOutcome ? `, outcome ${s.practiceRunOutcome}` : '';
  const comment = s.comment ? `: ${JSON.stringify(s.comment)}` : '';
  return `${SHIFT_NAME[s.type]} ${s.zonalShiftId} away from ${s.awayFrom} (${s.awayFromId}), ${s.applied ? 'applied' : 'not applied'}, until ${s.expiryTime}${outcome}${comment}`;
}

export function renderZonalShiftStatus(report: ZonalShiftStatusReport): string {
  const away = [
    ...new Set(report.resources.flatMap((r) => [...r.shifts, ...r.autoshifts].filter((s) => s.applied).map((s) => s.awayFrom))),
  ];
  const headline = report.shifted
    ? `${where(report)}: ${away.length > 0 ? `traffic shifted away from ${away.join(', ')}` : 'a shift is in progress, none applied'}`
    : `${where(report)}: not shifted, traffic in every AZ`;
  const lines = [headline];
  for (const r of report.resources) lines.push(...resourceLines(r));
  return `${lines.join('\n')}\n`;
}

function resourceLines(r: ZonalShiftResourceState): string[] {
  const autoshift = r.zonalAutoshift === 'unknown' ? '' : `zonal autoshift ${r.zonalAutoshift}`;
  const practice = r.practiceRunConfigured ? 'practice runs configured' : '';
  const about = [autoshift, practice].filter(Boolean).join(', ');
  const serving = Object.entries(r.weights)
    .filter(([, w]) => w > 0)
    .map(([az]) => az);
  return [
    `  ${resource(r)}${about ? ` (${about})` : ''}`,
    ...r.shifts.map((s) => `    ${shiftLine(s)}`),
    ...r.autoshifts.map(
      (a) => `    autoshift away from ${a.awayFrom} (${a.awayFromId}), ${a.applied ? 'applied' : 'not applied'}, since ${a.startTime}`,
    ),
    ...(r.shifts.length === 0 && r.autoshifts.length === 0
      ? [`    no shift${serving.length > 0 ? `: serving in ${serving.join(', ')}` : ''}`]
      : []),
  ];
}

export function renderZonalShiftStart(report: ZonalShiftStartReport): string {
  const lines = [
    `zonal shift of ${where(report)} away from ${report.az} (${report.azId}) for ${report.expiresIn}: ${JSON.stringify(report.comment)}`,
  ];
  for (const r of report.resources) {
    const state =
      r.result === 'started'
        ? `started, zonal shift ${r.zonalShiftId} until ${r.expiryTime}${r.note ? ` (${r.note})` : ''}`
        : r.result === 'already-shifted'
          ? `already shifted away from ${report.az}: zonal shift ${r.zonalShiftId} until ${r.expiryTime} (kept)`
          : r.result === 'failed'
            ? 'failed (below)'
            : 'not started';
    lines.push(`  ${resource(r)}: ${state}`);
  }
  if (report.resources.every((r) => r.result === 'started' || r.result === 'already-shifted'))
    lines.push(
      `Traffic leaves ${report.az} now (connections in flight drain within minutes) and returns when the shifts expire, or with: loadbearing zonal-shift cancel --env ${report.environment}`,
    );
  return `${lines.join('\n')}\n`;
}

export function renderZonalShiftCancel(report: ZonalShiftCancelReport): string {
  const lines = [`zonal shifts of ${where(report)}:`];
  for (const r of report.resources) {
    for (const s of r.canceled) lines.push(`  ${resource(r)}: cancelled zonal shift ${s.zonalShiftId} (away from ${s.awayFrom})`);
    for (const s of r.alreadyEnded)
      lines.push(`  ${resource(r)}: zonal shift ${s.zonalShiftId} (away from ${s.awayFrom}) had already ended`);
    for (const s of r.leftRunning)
      lines.push(
        `  ${resource(r)}: left running: ${SHIFT_NAME[s.type]} ${s.zonalShiftId} away from ${s.awayFrom}${s.type === 'PRACTICE_RUN' ? ` (it ends by itself; to end it now: aws arc-zonal-shift cancel-practice-run --zonal-shift-id ${s.zonalShiftId})` : ''}`,
      );
    for (const a of r.autoshifts)
      lines.push(
        `  ${resource(r)}: left running: autoshift away from ${a.awayFrom} (AWS ends it; or turn zonal autoshift off for the resource)`,
      );
    if (r.failed) lines.push(`  ${resource(r)}: failed (below)`);
    else if (r.canceled.length + r.alreadyEnded.length === 0) lines.push(`  ${resource(r)}: no zonal shift to cancel`);
  }
  const returned = [...new Set(report.resources.flatMap((r) => r.canceled.map((s) => s.awayFrom)))];
  if (returned.length > 0)
    lines.push(`Traffic returns to ${returned.join(', ')} as the load balancer's nodes there rejoin its DNS (within minutes).`);
  return `${lines.join('\n')}\n`;
}
