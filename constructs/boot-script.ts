import { APP_ENV } from '../lib/contract/app-env';
import { BOOT_STEP_SECONDS, type HealthWait } from '../lib/config/boot-timing';

/**
 * The fleet's boot script, as plain shell text (values may be CDK tokens; the user data joins
 * them at deploy time). Pure functions, so the script is reviewable in the template and testable
 * (`bash -n`) without AWS.
 *
 * Every step that could hang runs under `timeout` with its budget from lib/config/boot-timing.ts,
 * and the health wait ends at a deadline: the arithmetic there bounds the whole boot, and the
 * signal timeout and grace period are derived from the same numbers.
 */

/** Where things live on an instance. */
export const BOOT_PATHS = {
  appDir: '/opt/loadbearing/app',
  releaseDir: '/opt/loadbearing/release',
  releaseArchive: '/opt/loadbearing/release.zip',
  envFile: '/etc/loadbearing/app.env',
  /** `DB_CA_FILE`'s default, from the contract: the app and the boot script agree on it. */
  caFile: APP_ENV.DB_CA_FILE.default,
  logDir: '/var/log/loadbearing',
  stdoutLog: '/var/log/loadbearing/app.log',
  stderrLog: '/var/log/loadbearing/app-stderr.log',
  bootLog: '/var/log/cloud-init-output.log',
  agentConfig: '/opt/aws/amazon-cloudwatch-agent/etc/loadbearing.json',
  unit: 'loadbearing-app',
  user: 'lbapp',
} as const;

/** What the boot reports to, and how. */
export interface BootReport {
  readonly stackName: string;
  /** Logical ID of the Auto Scaling group (its creation and update policies wait for the signal). */
  readonly groupLogicalId: string;
  readonly region: string;
  /**
   * Pre-signed URL of a wait condition handle: the only signal whose reason CloudFormation shows
   * in the stack events (SignalResource has no reason field).
   * @default - none
   */
  readonly reasonUrl?: string;
}

const q = (value: string) => `'${value}'`;

/**
 * Strict mode, helpers and the exit trap. Any failing command ends the script; the trap then
 * reports the step and the reason on the console, to the wait condition (a stack event) and
 * signals FAILURE to the group, which fails the deploy at once; a script that reaches its end
 * signals SUCCESS. Signals go through the AWS CLI (preinstalled on AL2023), so even a failed
 * package install is reported.
 */
export function preambleCommands(report: BootReport): string[] {
  return [
    'set -euo pipefail',
    `LB_STACK=${q(report.stackName)}; LB_GROUP=${q(report.groupLogicalId)}; LB_REGION=${q(report.region)}; LB_REASON_URL=${q(report.reasonUrl ?? '')}`,
    "LB_STEP='start'; LB_REASON=''",
    'lb_say() { echo "loadbearing-boot: $*"; echo "loadbearing-boot: $*" > /dev/console 2>/dev/null || true; }',
    'lb_step() { LB_STEP="$1"; lb_say "step: $1"; }',
    'lb_fail() { LB_REASON="$1"; exit 1; }',
    [
      'lb_instance_id() {',
      "  local token; token=$(curl -fsS -X PUT --max-time 2 -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) &&",
      '  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id || echo unknown',
      '}',
    ].join('\n'),
    [
      'lb_report() {',
      '  [ -n "$LB_REASON_URL" ] || return 0',
      '  timeout 10 curl -fsS -o /dev/null -X PUT -H \'Content-Type:\' --data-binary "{\\"Status\\":\\"$1\\",\\"Reason\\":\\"$2\\",\\"UniqueId\\":\\"$3\\",\\"Data\\":\\"$1\\"}" "$LB_REASON_URL" || lb_say "could not report to the wait condition"',
      '}',
    ].join('\n'),
    [
      'lb_signal() {',
      '  for attempt in 1 2 3; do',
      '    timeout 10 aws cloudformation signal-resource --region "$LB_REGION" --stack-name "$LB_STACK" --logical-resource-id "$LB_GROUP" --unique-id "$2" --status "$1" && return 0',
      '    sleep 1',
      '  done',
      '  lb_say "could not signal $1 to $LB_STACK/$LB_GROUP"',
      '}',
    ].join('\n'),
    [
      'lb_exit() {',
      '  local code=$?',
      '  trap - EXIT; set +e',
      '  local id; id=$(lb_instance_id)',
      '  if [ "$code" -eq 0 ]; then',
      '    lb_say "healthy: signalling SUCCESS"; lb_report SUCCESS healthy "$id"; lb_signal SUCCESS "$id"; exit 0',
      '  fi',
      '  local reason; reason=$(printf \'%s\' "$LB_STEP: ${LB_REASON:-exit code $code}" | tr -c \'A-Za-z0-9 _.,:;=/()@+-\' \' \' | cut -c1-240)',
      '  lb_say "FAILED on $id: $reason"',
      // The reason first, and a pause so it lands before the group's failure cancels the wait condition.
      '  lb_report FAILURE "$reason" "$id"; sleep 15',
      '  lb_signal FAILURE "$id"',
      '  exit "$code"',
      '}',
    ].join('\n'),
    'trap lb_exit EXIT',
  ];
}

/** The packages of the boot: the runtime (for `nodejs` apps), the CloudWatch agent, unzip for the release, logrotate. */
export function packageCommands(nodejsMajor: number | undefined): string[] {
  const packages = [...(nodejsMajor !== undefined ? [`nodejs${nodejsMajor}`] : []), 'amazon-cloudwatch-agent', 'unzip', 'logrotate'];
  return ['lb_step packages', `timeout ${BOOT_STEP_SECONDS.packages} dnf install -y -q ${packages.join(' ')}`];
}

/** A log file the CloudWatch agent ships. */
export interface ShippedLog {
  readonly file: string;
  readonly group: string;
  /** `{instance_id}` is the agent's placeholder for the instance ID. */
  readonly stream: string;
}

/**
 * The CloudWatch agent: ships the app's stdout (JSON logs and the embedded-metric-format lines,
 * from which CloudWatch Logs extracts the app metrics without any header:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * its stderr and the boot log. Started before the app is installed, so a failed boot's output
 * reaches the boot log group too. The app logs rotate by size (copytruncate: systemd keeps the
 * file open), checked by logrotate's systemd timer.
 */
export function logAgentCommands(logs: readonly ShippedLog[]): string[] {
  const config = {
    logs: {
      logs_collected: { files: { collect_list: logs.map((l) => ({ file_path: l.file, log_group_name: l.group, log_stream_name: l.stream, timezone: 'UTC' })) } },
      force_flush_interval: 5,
    },
  };
  return [
    'lb_step "log agent"',
    `mkdir -p ${BOOT_PATHS.logDir}`,
    `cat > /etc/logrotate.d/loadbearing <<'EOF'\n${BOOT_PATHS.logDir}/*.log {\n  size 100M\n  rotate 5\n  compress\n  missingok\n  notifempty\n  copytruncate\n}\nEOF`,
    `cat > ${BOOT_PATHS.agentConfig} <<'EOF'\n${JSON.stringify(config, null, 2)}\nEOF`,
    `timeout ${BOOT_STEP_SECONDS.logAgent} /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${BOOT_PATHS.agentConfig}`,
    // Both again after a reboot or a stopped warm pool, without the boot script.
    'systemctl enable amazon-cloudwatch-agent',
    'systemctl enable --now logrotate.timer || lb_say "logrotate.timer not enabled: the app logs will not rotate"',
  ];
}

/** How the app arrives in the release. */
export type ArtifactLayout = 'directory' | 'zip' | 'tar.gz';

/** The release object: where it is, and what is in it. */
export interface ReleaseObject {
  readonly bucket: string;
  readonly key: string;
  readonly layout: ArtifactLayout;
}

/** The release's entries (the release construct stages exactly these). */
export const RELEASE_ENTRIES = {
  trust: 'rds-ca-bundle.pem',
  directory: 'app',
  zip: 'app.zip',
  'tar.gz': 'app.tar.gz',
} as const;

/**
 * Fetches exactly the release object, installs the database trust bundle at `DB_CA_FILE` and
 * unpacks the app into its directory (owned by root, readable by the app user).
 */
export function releaseCommands(release: ReleaseObject, region: string): string[] {
  const r = BOOT_PATHS.releaseDir;
  const unpack = {
    directory: `cp -a ${r}/${RELEASE_ENTRIES.directory}/. ${BOOT_PATHS.appDir}/`,
    zip: `unzip -q -o ${r}/${RELEASE_ENTRIES.zip} -d ${BOOT_PATHS.appDir}`,
    'tar.gz': `tar -xzf ${r}/${RELEASE_ENTRIES['tar.gz']} -C ${BOOT_PATHS.appDir}`,
  }[release.layout];
  return [
    'lb_step release',
    `rm -rf ${r} ${BOOT_PATHS.appDir} && mkdir -p ${r} ${BOOT_PATHS.appDir}`,
    `timeout ${BOOT_STEP_SECONDS.fetchRelease} aws s3 cp --only-show-errors --region ${region} s3://${release.bucket}/${release.key} ${BOOT_PATHS.releaseArchive}`,
    `unzip -q -o ${BOOT_PATHS.releaseArchive} -d ${r}`,
    `install -m 0644 ${r}/${RELEASE_ENTRIES.trust} ${BOOT_PATHS.caFile}`,
    unpack,
    `chown -R root:root ${BOOT_PATHS.appDir} && chmod -R u+rwX,go+rX,go-w ${BOOT_PATHS.appDir}`,
  ];
}

/** The app's install hook (runtime `provided`): once, as root, in the app directory, within its budget. */
export function installHookCommands(command: string, timeoutSeconds: number): string[] {
  return ['lb_step "install hook"', `(cd ${BOOT_PATHS.appDir} && timeout ${timeoutSeconds} ${command})`];
}

export interface ServiceUnitProps {
  readonly description: string;
  /** The command line, its executable absolute. */
  readonly execStart: string;
  /** `LimitNOFILE`: the workload profile's file descriptors. */
  readonly fileDescriptors: number;
  /** `TimeoutStopSec`: the app drains in-flight requests for the deregistration delay after SIGTERM, then closes its pools. */
  readonly stopTimeoutSeconds: number;
}

/** The systemd unit of the app. */
export function serviceUnit(u: ServiceUnitProps): string {
  return [
    '[Unit]',
    `Description=${u.description}`,
    'Wants=network-online.target',
    'After=network-online.target',
    // Never give up restarting a crashed app (e.g. the database was away); the boot fails on the first crash anyway.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `User=${BOOT_PATHS.user}`,
    `Group=${BOOT_PATHS.user}`,
    `WorkingDirectory=${BOOT_PATHS.appDir}`,
    `EnvironmentFile=${BOOT_PATHS.envFile}`,
    `ExecStart=${u.execStart}`,
    'Restart=on-failure',
    'RestartSec=5',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${u.stopTimeoutSeconds}`,
    `LimitNOFILE=${u.fileDescriptors}`,
    `StandardOutput=append:${BOOT_PATHS.stdoutLog}`,
    `StandardError=append:${BOOT_PATHS.stderrLog}`,
    'NoNewPrivileges=true',
    'PrivateTmp=true',
    'ProtectSystem=full',
    'ProtectHome=true',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
}

/**
 * The dedicated user, the unit, and the start. `enable` as well as `--now`: an instance that
 * reboots, or leaves a stopped warm pool, starts the app again without the boot script.
 */
export function serviceCommands(unit: string): string[] {
  const { user, logDir, unit: name } = BOOT_PATHS;
  return [
    'lb_step "service start"',
    `id -u ${user} >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin ${user}`,
    `touch ${BOOT_PATHS.stdoutLog} ${BOOT_PATHS.stderrLog} && chown -R ${user}:${user} ${logDir}`,
    `cat > /etc/systemd/system/${name}.service <<'EOF'\n${unit}\nEOF`,
    `timeout ${BOOT_STEP_SECONDS.serviceStart} systemctl daemon-reload`,
    `timeout ${BOOT_STEP_SECONDS.serviceStart} systemctl enable --now ${name}`,
  ];
}

/**
 * The verdict: GET the health path until it answers 2xx, each probe with its own timeout. The
 * boot fails at once when the app exits (systemd restarts it: one restart means it crashed), and
 * at the deadline when it stays unhealthy; either way with the last lines of its stderr.
 */
export function healthWaitCommands(port: number | string, path: string, wait: HealthWait): string[] {
  const url = `http://127.0.0.1:${port}${path}`;
  const { unit, stderrLog, stdoutLog } = BOOT_PATHS;
  const lastWords = `$( (tail -n 3 ${stderrLog}; tail -n 1 ${stdoutLog}) 2>/dev/null | tr '\\n' ' ')`;
  return [
    'lb_step "health wait"',
    `lb_deadline=$((SECONDS + ${wait.waitSeconds}))`,
    [
      'while :; do',
      `  if curl -fsS -o /dev/null --connect-timeout ${wait.probeTimeoutSeconds} --max-time ${wait.probeTimeoutSeconds} ${url}; then break; fi`,
      `  if [ "$(systemctl show -p NRestarts --value ${unit})" != "0" ] || ! systemctl is-active --quiet ${unit}; then`,
      `    lb_fail "the app exited (status $(systemctl show -p ExecMainStatus --value ${unit})): ${lastWords}"`,
      '  fi',
      `  if [ "$SECONDS" -ge "$lb_deadline" ]; then lb_fail "no answer from ${url} within ${wait.waitSeconds} s: ${lastWords}"; fi`,
      `  sleep ${wait.probeIntervalSeconds}`,
      'done',
    ].join('\n'),
    `lb_say "healthy: ${url} answers"`,
  ];
}
