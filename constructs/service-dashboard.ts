import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

export interface DashboardSection {
  readonly title: string;
  /** One line on what this hop does and what to look for. */
  readonly description: string;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

export interface ServiceDashboardProps {
  /** @default - CloudFormation generates a name */
  readonly dashboardName?: string;
  /** Composite alarms shown as a status row at the top. */
  readonly status: readonly cloudwatch.IAlarm[];
  /** Sections in request-path order (edge, fleet, database writer/readers, cache). */
  readonly sections: readonly DashboardSection[];
}

/**
 * One dashboard per stack, read top to bottom along the request path. Every graph is an
 * alarm widget, so it shows the alarm's threshold (or anomaly band) as an annotation: the
 * graph and the page can never disagree about what "too high" means.
 */
export class ServiceDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
      defaultInterval: undefined,
      periodOverride: cloudwatch.PeriodOverride.AUTO,
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Service health', alarms: [...props.status], width: 24, height: 3 }),
    );
    for (const section of props.sections) {
      if (section.alarms.length === 0) continue;
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({ markdown: `## ${section.title}\n${section.description}`, width: 24, height: 2 }),
      );
      const widgets = section.alarms.map((alarm) => new cloudwatch.AlarmWidget({ alarm, title: alarm.alarmName, width: 8, height: 6 }));
      for (let i = 0; i < widgets.length; i += 3) this.dashboard.addWidgets(...widgets.slice(i, i + 3));
    }
  }
}
