import { randomUUID } from 'node:crypto';
import { discoverAlarms } from './alarm-discovery.js';
import type { CloudWatchGateway } from './cloudwatch-gateway.js';
import type { Clock } from './clock.js';
import { writeLine, type OutputStream } from './command.js';
import { startDeadline } from './deadline.js';
import type { DrillPlan } from './drill-plan.js';
import { reportDrill } from './drill-report.js';
import { DrillWatch } from './drill-watch.js';
import { formatDuration } from './duration.js';
import { DeadlineExceededError, describeError, OperatorError } from './errors.js';
import type { FisGateway } from './fis-gateway.js';
import { ProgressLine } from './progress-line.js';
import { PLAIN_PROGRESS_EVERY_MS } from './gate-command.js';

/** How long a drill that hit its wall-clock bound may take to stop its experiment. */
const STOP_TIMEOUT_MS = 30_000;

/** What a drill run needs: its plan, the AWS gateways, the clock and where to write. */
export interface DrillRun {
  readonly plan: DrillPlan;
  readonly fis: FisGateway;
  readonly cw: CloudWatchGateway;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly json: boolean;
}

const ENDED = new Set(['completed', 'stopped', 'failed', 'cancelled']);

/** Runs the drill: finds its template, checks the alarms, starts the experiment, watches it. Resolves to the exit code. */
export async function runDrill(run: DrillRun): Promise<number> {
  const { plan, fis, cw, clock, signal } = run;
  const prefix = `${plan.stack}-`;
  const text = run.json ? run.stderr : run.stdout;

  const templates = await fis.listTemplates();
  const matching = templates.filter((t) => Object.entries(plan.findBy).every(([k, v]) => t.tags?.[k] === v));
  if (matching.length === 0) {
    throw new OperatorError(
      `no FIS experiment template tagged ${Object.entries(plan.findBy)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} in ${plan.region}: deploy ${plan.stack} with failureDrills.enabled (or check --region / --profile)`,
    );
  }
  if (matching.length > 1)
    throw new OperatorError(
      `${matching.length} FIS experiment templates carry the tags of this drill (${matching.map((t) => t.id).join(', ')}): delete the extra ones`,
    );
  const templateId = matching[0]!.id!;

  const before = await discoverAlarms(cw, prefix);
  const alarming = before.filter((a) => a.state === 'ALARM');
  if (alarming.length > 0) {
    throw new OperatorError(
      `refusing to start: ${alarming.length} alarm(s) of ${plan.stack} in ALARM (${alarming.map((a) => a.name).join(', ')}); a drill starts from a healthy stack (see: loadbearing status --stack ${plan.stack})`,
    );
  }

  writeLine(
    text,
    `drill ${plan.drill} on ${plan.stack}${plan.zone ? ` in ${plan.zone}` : ''}: starting the experiment of template ${templateId}`,
  );
  const experiment = await fis.startExperiment(templateId, randomUUID(), {
    'loadbearing:stack': plan.stack,
    'loadbearing:drill': plan.mode,
  });
  const experimentId = experiment.id!;
  const startedAt = clock.now();
  const watch = new DrillWatch(plan, prefix, startedAt);
  const progress = new ProgressLine(run.stderr, clock, PLAIN_PROGRESS_EVERY_MS);
  let ended = false;
  try {
    for (let checks = 1; ; checks++) {
      const alarms = await discoverAlarms(cw, prefix);
      const now = clock.now();
      let state = watch.experimentState;
      if (!ended) {
        const current = await fis.getExperiment(experimentId);
        state = { status: current.state?.status ?? 'unknown', reason: current.state?.reason ?? null };
        if (ENDED.has(state.status)) {
          ended = true;
          watch.ended(current.endTime ? Math.min(current.endTime.getTime(), now) : now, state);
        } else watch.experimentState = state;
      }
      watch.observe(alarms, now);
      if (state.status === 'failed') {
        progress.clear();
        throw new OperatorError(
          `the experiment ${experimentId} failed: ${state.reason ?? 'no reason given'} (see its log group and: aws fis get-experiment --id ${experimentId}); the drill is inconclusive`,
        );
      }
      if (state.status === 'stopped' && !watch.stoppedByItsCondition(state.reason)) {
        // The alarms were read just before the experiment: read them once more before calling the stop external.
        watch.observe(await discoverAlarms(cw, prefix), clock.now());
        if (!watch.stoppedByItsCondition(state.reason)) {
          progress.clear();
          throw new OperatorError(
            `the experiment ${experimentId} was stopped, but not by its stop condition (${plan.stopAlarm} never in ALARM; FIS says: ${state.reason ?? 'no reason given'}): someone stopped it by hand or from another tool; the drill is inconclusive (see: aws fis get-experiment --id ${experimentId})`,
          );
        }
      }
      const verdict = watch.verdict(now);
      if (verdict) {
        progress.clear();
        return reportDrill(run, watch, verdict, { templateId, experimentId, checks, elapsedMs: now - startedAt });
      }
      const nextAt = startedAt + checks * plan.intervalSeconds * 1000;
      progress.update(watch.progress(now, nextAt));
      await clock.sleep(Math.max(0, nextAt - clock.now()), signal);
    }
  } catch (err) {
    progress.clear();
    if (!ended) await stopQuietly(fis, experimentId, run.stderr);
    if (err instanceof DeadlineExceededError || (signal.aborted && signal.reason === err)) {
      throw new OperatorError(
        `gave up after ${formatDuration(plan.boundSeconds * 1000)} (the drill's wall-clock bound; raise it with --timeout): experiment ${experimentId} ${ended ? 'had ended' : 'was stopped'}, the stack had ${watch.recoveredText()}`,
      );
    }
    throw err;
  }
}

async function stopQuietly(fis: FisGateway, id: string, stderr: OutputStream): Promise<void> {
  const deadline = startDeadline(STOP_TIMEOUT_MS, () => new Error('stop timed out'));
  try {
    await fis.stopExperiment(id, deadline.signal);
    writeLine(stderr, `stopped experiment ${id}`);
  } catch (err) {
    writeLine(stderr, `could not stop experiment ${id} (${describeError(err, 'FIS')}): stop it with: aws fis stop-experiment --id ${id}`);
  } finally {
    deadline.dispose();
  }
}
