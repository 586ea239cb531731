import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Database, type AlarmFactory, type DatabaseAlarmTargets, type DatabaseSettings } from 'loadbearing';

/**
 * Team example 2: a database with more memory per sort and an alarm on deadlocks, on top of
 * the platform's parameters and alarm set.
 */
export class TunedDatabase extends Database {
  protected override parameterValues(settings: DatabaseSettings): Record<string, string> {
    return { ...super.parameterValues(settings), work_mem: '16384', 'pg_stat_statements.track': 'all' };
  }

  protected override createAlarms(factory: AlarmFactory, targets: DatabaseAlarmTargets): cloudwatch.Alarm[] {
    return [
      ...super.createAlarms(factory, targets),
      factory.alarm(this, 'WriterDeadlocksAlarm', {
        component: 'db',
        signal: 'writer-deadlocks',
        severity: 'warning',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName: 'Deadlocks',
          dimensionsMap: { DBInstanceIdentifier: targets.writer.instanceIdentifier },
          statistic: 'Sum',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: 'Transactions deadlocked on the writer: two code paths take locks in opposite order.',
        recommendation: 'not in the AWS list; a team-specific signal',
      }),
    ];
  }
}
