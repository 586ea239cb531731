import type { DrillPlan } from './drill-plan.js';
import { formatDuration } from './duration.js';

/** The plan in words (`--dry-run`). */
export function renderPlan(plan: DrillPlan): string {
  const lines = [
    `drill ${plan.drill} on ${plan.stack} (${plan.environment}, ${plan.region})${plan.zone ? ` in ${plan.zone}` : ''}: plan, nothing started`,
    '',
    `Template: the FIS experiment template tagged ${Object.entries(plan.findBy)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    `  ${plan.description}`,
    ...(plan.otherZones.length > 0 ? [`  other AZs: ${plan.otherZones.join(', ')} (choose with --zone)`] : []),
    '',
    'Targets:',
    ...plan.targets.map((t) => `  ${t.name}: ${t.resourceType}, ${t.what}`),
    ...(plan.targets.length === 0 ? ["  (none: the action runs the stack's automation)"] : []),
    '',
    'Actions (at the start unless "after"):',
    ...plan.actions.map(
      (a) =>
        `  ${a.name}: ${a.actionId}${a.startAfter.length > 0 ? ` after ${a.startAfter.join(', ')}` : ''}: ${a.description}` +
        (Object.keys(a.parameters).length > 0
          ? `\n    ${Object.entries(a.parameters)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}`
          : ''),
    ),
    ...plan.notes.map((n) => `  not in this AZ: ${n}`),
    ...plan.leftOut.map((n) => `  left out here: ${n}.`),
    '',
    `Fault: ${plan.fault === 'sustained' ? `${formatDuration(plan.faultSeconds * 1000)}` : 'one shot'}`,
    `Stop condition: ${plan.stopAlarm} in ALARM, when ${plan.stopRules.join('; or ')}. ${
      plan.fault === 'sustained'
        ? 'FIS then stops the experiment and the drill fails.'
        : 'The fault is over before FIS could stop anything: this command judges it by the same alarm, and the drill fails.'
    }`,
    `Budget: 5xx <= ${plan.budget.max5xxRatePercent}%, recovery <= ${plan.budget.recoverySeconds} s${plan.budget.minHealthyHosts !== undefined ? `, healthy hosts >= ${plan.budget.minHealthyHosts}` : ''}${plan.budget.maxP99Seconds !== undefined ? `, p99 <= ${plan.budget.maxP99Seconds} s` : ''}. ${plan.budget.derivation}`,
    `Detection: ${plan.expectedAlarms.length > 0 ? `one of ${plan.expectedAlarms.join(', ')} in ALARM within ${formatDuration(plan.detectWithinSeconds * 1000)} of the start` : 'no alarm is expected (nothing a customer sees)'}`,
    `Recovery: every alarm out of ALARM within ${formatDuration(plan.recoverWithinSeconds * 1000)} of the fault's end (the budget's recovery plus the slowest fired alarm's window)`,
    '',
    'Steps: 1. find the template by its tags; 2. refuse unless no alarm of the stack is in ALARM;',
    `  3. start the experiment; 4. check the alarms and the experiment every ${formatDuration(plan.intervalSeconds * 1000)} until the stack recovers;`,
    `  5. report time to detect, time to recover, whether the stop condition fired and unexpected alarms. Gives up after ${formatDuration(plan.boundSeconds * 1000)} (stopping the experiment).`,
    ...(plan.needsConfirmation ? ['', `A prod stack: runs only with --confirm ${plan.stack}.`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
