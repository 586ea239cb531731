import { describe, expect, it } from 'vitest';
import { duration, fleetRoll, seconds } from '../../../lib/platform/review/fleet-roll';
import type { Template, TemplateResource } from '../../../lib/platform/review/templates';

/**
 * The roll of a fleet onto a new launch template version, derived from the group's UpdatePolicy
 * in the deployed template: one case per policy shape (rolling, replacing, instance refresh, none,
 * one it does not know, another mechanism beside it).
 */
const PATHS = {
  Group: '/team-prod/Fleet/ASG',
  LaunchTemplate: '/team-prod/Fleet/LaunchTemplate',
  Refresh: '/team-prod/Fleet/Refresh/Default',
};

function template(group: Partial<TemplateResource>, extra: Record<string, TemplateResource> = {}): Template {
  return {
    Resources: {
      LaunchTemplate: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 'm7g.large' } } },
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        ...group,
        Properties: {
          MinSize: '6',
          MaxSize: '24',
          LaunchTemplate: {
            LaunchTemplateId: { Ref: 'LaunchTemplate' },
            Version: { 'Fn::GetAtt': ['LaunchTemplate', 'LatestVersionNumber'] },
          },
          ...group.Properties,
        },
      },
      ...extra,
    },
  };
}

const roll = (t: Template) => fleetRoll(t, 'Group', PATHS);

describe('fleetRoll: AutoScalingRollingUpdate', () => {
  it("the platform's shape: batches that launch first and wait for signals, with the count and the longest time", () => {
    const t = template({
      UpdatePolicy: {
        AutoScalingRollingUpdate: { MaxBatchSize: 2, MinInstancesInService: 6, PauseTime: 'PT13M', WaitOnResourceSignals: true },
      },
    });
    expect(roll(t)).toBe(
      'rolls the fleet Fleet/ASG: 6 instances (MinSize 6; more if it has scaled out), 2 at a time keeping 6 in service ' +
        "(each new batch starts before the old one stops), each batch waits up to 13 min for its instances' signals: 3 batches, at most about 39 min",
    );
  });

  it("CloudFormation's defaults: one at a time, no pause and no signal", () => {
    expect(roll(template({ UpdatePolicy: { AutoScalingRollingUpdate: {} } }))).toBe(
      'rolls the fleet Fleet/ASG: 6 instances (MinSize 6; more if it has scaled out), 1 at a time, ' +
        'with no pause or signal between batches (a batch that boots badly is not noticed): 6 batches',
    );
  });

  it('signals without a PauseTime wait up to PT5M (the documented default with WaitOnResourceSignals)', () => {
    expect(roll(template({ UpdatePolicy: { AutoScalingRollingUpdate: { MaxBatchSize: 3, WaitOnResourceSignals: 'true' } } }))).toContain(
      "3 at a time, each batch waits up to 5 min for its instances' signals: 2 batches, at most about 10 min",
    );
  });

  it('a PauseTime without signals pauses after each batch; a batch that can stop old instances first says nothing about launching first', () => {
    const text = roll(
      template({
        Properties: { DesiredCapacity: '8' },
        UpdatePolicy: { AutoScalingRollingUpdate: { MaxBatchSize: 2, MinInstancesInService: 4, PauseTime: 'PT1M30S' } },
      }),
    );
    expect(text).toBe(
      'rolls the fleet Fleet/ASG: 8 instances (DesiredCapacity 8; more if it has scaled out), 2 at a time keeping 4 in service, ' +
        'pausing 2 min after each batch (no signals: a batch that boots badly is not noticed): 4 batches, at most about 6 min',
    );
  });

  it('MinSuccessfulInstancesPercent and a warm pool are named', () => {
    const t = template(
      {
        UpdatePolicy: { AutoScalingRollingUpdate: { WaitOnResourceSignals: true, MinSuccessfulInstancesPercent: 80, PauseTime: 'PT10M' } },
      },
      { Pool: { Type: 'AWS::AutoScaling::WarmPool', Properties: { AutoScalingGroupName: { Ref: 'Group' } } } },
    );
    expect(roll(t)).toContain("each batch waits up to 10 min for its instances' signals (80% must signal)");
    expect(roll(t)).toMatch(/; the warm pool's instances are not replaced$/);
  });

  it('a size that is not a literal (a parameter) gives no batch count', () => {
    const text = roll(
      template({
        Properties: { MinSize: { Ref: 'Size' } },
        UpdatePolicy: { AutoScalingRollingUpdate: { MaxBatchSize: 2, PauseTime: 'PT5M', WaitOnResourceSignals: true } },
      }),
    );
    expect(text).toBe("rolls the fleet Fleet/ASG: its instances, 2 at a time, each batch waits up to 5 min for its instances' signals");
  });

  it('MinSize 0: only the instances it has scaled out to', () => {
    expect(roll(template({ Properties: { MinSize: '0' }, UpdatePolicy: { AutoScalingRollingUpdate: { MaxBatchSize: 1 } } }))).toContain(
      'the instances it has scaled out to (MinSize 0), 1 at a time',
    );
  });
});

describe('fleetRoll: other policies', () => {
  it('AutoScalingReplacingUpdate (WillReplace) takes precedence over a rolling update: a new group beside the old one', () => {
    const t = template({
      CreationPolicy: { ResourceSignal: { Count: 6, Timeout: 'PT15M' } },
      UpdatePolicy: { AutoScalingReplacingUpdate: { WillReplace: true }, AutoScalingRollingUpdate: { MaxBatchSize: 2 } },
    });
    expect(roll(t)).toBe(
      'rolls the fleet Fleet/ASG by replacing the group: a new group of 6 instances (MinSize 6; more if it has scaled out) is created beside the old one, ' +
        "which CloudFormation deletes once 6 instances signal (creation policy, up to 15 min): both groups' instances run meanwhile",
    );
  });

  it('WillReplace false is no replacing update: the rolling update applies', () => {
    const t = template({
      UpdatePolicy: { AutoScalingReplacingUpdate: { WillReplace: false }, AutoScalingRollingUpdate: { MaxBatchSize: 3 } },
    });
    expect(roll(t)).toMatch(/^rolls the fleet Fleet\/ASG: 6 instances .*, 3 at a time/);
  });

  it("AutoScalingInstanceRefresh (the delivery issue's shape): healthy range, replacements at a time, checkpoints, bake and alarms", () => {
    const t = template({
      UpdatePolicy: {
        AutoScalingInstanceRefresh: {
          Strategy: 'Rolling',
          Preferences: {
            MinHealthyPercentage: 100,
            MaxHealthyPercentage: 134,
            SkipMatching: true,
            CheckpointPercentages: [33, 66, 100],
            CheckpointDelay: 600,
            BakeTime: 900,
            AlarmSpecification: { Alarms: ['loadbearing-prod-release-errors', 'loadbearing-prod-release-latency-p99'] },
          },
        },
      },
    });
    expect(roll(t)).toBe(
      'rolls the fleet Fleet/ASG by instance refresh (Rolling): 6 instances (MinSize 6; more if it has scaled out), keeping 100-134% of the desired capacity healthy: ' +
        'about 2 at a time, launched before the old ones stop, 3 steps; checkpoints at 33%, 66%, 100%, waiting 10 min at each; ' +
        'then 15 min of bake time before the update counts as done; it fails (and the update rolls back) when any of 2 alarms goes into ALARM',
    );
  });

  it("an instance refresh without preferences takes the group's instance maintenance policy, else the strategy's defaults", () => {
    const fromGroup = template({
      Properties: { InstanceMaintenancePolicy: { MinHealthyPercentage: 50, MaxHealthyPercentage: 100 } },
      UpdatePolicy: { AutoScalingInstanceRefresh: { Strategy: 'Rolling' } },
    });
    expect(roll(fromGroup)).toContain('keeping 50-100% of the desired capacity healthy: about 3 at a time, 2 steps');
    const defaults = template({
      UpdatePolicy: { AutoScalingInstanceRefresh: { Strategy: 'Rolling', Preferences: { SkipMatching: false } } },
    });
    expect(roll(defaults)).toContain(
      'keeping 100-110% of the desired capacity healthy: about 1 at a time, launched before the old ones stop, 6 steps',
    );
    expect(roll(defaults)).toMatch(/; every instance is replaced \(SkipMatching false\)$/);
  });

  it('no update policy (or only a scheduled-action one): the group does not roll, running instances keep the old template', () => {
    const expected =
      'does not roll the fleet Fleet/ASG: the group has no rolling, replacing or refresh update policy, so it takes the new configuration ' +
      'but its running instances keep the old one until they are replaced (scale-in and out, health replacements, an instance refresh)';
    expect(roll(template({}))).toBe(expected);
    expect(roll(template({ UpdatePolicy: { AutoScalingScheduledAction: { IgnoreUnmodifiedGroupSizeProperties: true } } }))).toBe(expected);
  });

  it('an update policy it does not know: "see the group\'s update mechanism", no guess', () => {
    expect(roll(template({ UpdatePolicy: { AutoScalingFutureUpdate: { Speed: 'fast' } } }))).toBe(
      "rolls the fleet Fleet/ASG by UpdatePolicy AutoScalingFutureUpdate: see the group's update mechanism",
    );
  });

  it('a custom resource that acts on the group or its launch template (an instance refresh of its own): named, no guess', () => {
    const refresh = {
      Type: 'Custom::AWS',
      Properties: { Update: { 'Fn::Join': ['', ['{"action":"startInstanceRefresh","group":"', { Ref: 'Group' }, '"}']] } },
    };
    expect(roll(template({}, { Refresh: refresh }))).toBe(
      "the fleet Fleet/ASG has no rolling, replacing or refresh update policy, but Fleet/Refresh acts on it: see the group's update mechanism",
    );
    const onTemplate = {
      Type: 'AWS::CloudFormation::CustomResource',
      Properties: { Version: { 'Fn::GetAtt': ['LaunchTemplate', 'LatestVersionNumber'] } },
    };
    const both = template({ UpdatePolicy: { AutoScalingRollingUpdate: { MaxBatchSize: 2 } } }, { Other: onTemplate });
    expect(roll(both)).toMatch(
      /^rolls the fleet Fleet\/ASG: 6 instances .*; Other also acts on the group: see the group's update mechanism$/,
    );
  });

  it('logical IDs when no construct path is known', () => {
    expect(fleetRoll(template({}), 'Group')).toMatch(/^does not roll the fleet Group:/);
  });
});

describe('durations', () => {
  it.each([
    ['PT13M', 780],
    ['PT1H', 3600],
    ['PT1H30M', 5400],
    ['PT45S', 45],
    ['PT0S', 0],
    [90, 90],
    ['13 minutes', undefined],
    ['PT', undefined],
  ])('seconds(%j) = %j', (value, expected) => {
    expect(seconds(value)).toBe(expected);
  });

  it.each([
    [45, '45 s'],
    [780, '13 min'],
    [3600, '1 h'],
    [3900, '1 h 5 min'],
  ])('duration(%j) = %j', (value, expected) => {
    expect(duration(value)).toBe(expected);
  });
});
