import type { AppEndpoints } from '../../lib/model/app-environment';

/** Placeholder endpoints: these routes touch no dependency. */
export const TEST_ENDPOINTS: AppEndpoints = {
  dbWriterHost: 'writer.local',
  dbReaderHosts: ['r1.local'],
  dbPort: 5432,
  dbReaderPort: 5432,
  dbUser: 'lb_app',
  dbSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:app-AbCdEf',
  dbMigrationUser: 'lb_admin',
  dbMigrationSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:master-AbCdEf',
  dbIamAuth: false,
  cacheHost: 'cache.local',
  cacheReaderHost: 'cache-ro.local',
  cachePort: 6379,
  cacheAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:cache-AbCdEf',
  freshnessParameterPath: '/x/freshness/',
};
