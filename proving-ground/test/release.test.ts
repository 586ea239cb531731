import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { builtinEnvironments, releaseAlarmDefinitions } from 'loadbearing/model';
import { readTemplate, resourcesOfType } from '../../test/support/assembly';
import { BAD_RELEASE, releaseTimings, SLOW_RELEASE } from '../src/release/release-scenarios';
import { startReleaseProxy, type ReleaseProxy } from '../src/release/release-proxy';
import { FULL_TIMINGS } from '../src/scenarios';

const staging = builtinEnvironments().find((e) => e.name === 'staging')!;

describe("the proving ground's release alarms", () => {
  it("are the stack's own: the thresholds, periods and datapoints of the staging template's release alarms", () => {
    const template = readTemplate(inject('assemblyDir'), staging.stackName);
    const inTemplate = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties!)
      .filter((p) => String(p.AlarmName).includes('-release-'));
    const local = releaseAlarmDefinitions({
      prefix: 'x',
      stackName: staging.stackName,
      releaseId: 'rlocal',
      settings: staging.delivery.releaseAlarms,
    });
    expect(inTemplate).toHaveLength(local.length);
    for (const [i, d] of local.entries()) {
      const p = inTemplate[i]!;
      expect(p.Threshold).toBe(d.threshold);
      expect(p.EvaluationPeriods).toBe(d.evaluationPeriods);
      expect(p.DatapointsToAlarm).toBe(d.datapointsToAlarm);
      expect(p.TreatMissingData).toBe(d.treatMissingData);
      expect(JSON.stringify(p)).toContain(`"Period":${d.periodSeconds}`);
    }
  });

  it('give a release scenario a fault window of their detection bound (scaled) and the slack', () => {
    expect(releaseTimings(FULL_TIMINGS, staging).faultMs).toBe(18_000 + 10_000);
    expect(BAD_RELEASE).toEqual({ errorRate: 0.3, addedDelayMs: 0 });
    expect(SLOW_RELEASE).toEqual({ errorRate: 0, addedDelayMs: 300 });
  });
});

describe('the release proxy (a real process)', () => {
  let upstream: Server | undefined;
  let proxy: ReleaseProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await new Promise((r) => (upstream ? upstream.close(r) : r(undefined)));
  });

  it('fails its share of requests with 500, passes the health path through, delays, and reports each period', async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
    const target = (upstream.address() as AddressInfo).port;
    proxy = await startReleaseProxy({
      fault: { errorRate: 0.3, addedDelayMs: 50 },
      epochMs: Date.now(),
      periodMs: 400,
      healthPath: '/healthz',
      seed: 7,
    });
    const port = await proxy.add(target);
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await fetch(`http://127.0.0.1:${port}/items/1`)).status);
    for (let i = 0; i < 20; i++) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const failed = statuses.filter((s) => s === 500).length;
    expect(failed).toBeGreaterThan(35);
    expect(failed).toBeLessThan(85);
    await new Promise((r) => setTimeout(r, 600));
    const reported = proxy.samples.reduce((a, s) => ({ requests: a.requests + s.requests, errors: a.errors + s.errors }), {
      requests: 0,
      errors: 0,
    });
    expect(reported.requests).toBe(200);
    expect(reported.errors).toBe(failed);
    const served = proxy.samples.filter((s) => s.p99Ms !== undefined);
    expect(Math.max(...served.map((s) => s.p99Ms!))).toBeGreaterThanOrEqual(50);
    await proxy.remove(port);
  });
});
