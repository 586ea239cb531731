import { APP_ENV } from '@loadbearing/contract';
import {
  BOOT_STEP_SECONDS,
  EXIT_CALL,
  IMDS_REQUEST_SECONDS,
  REPORT_PAUSE_SECONDS,
  REPORT_SECONDS,
  type HealthWait,
} from '../lib/model/config/boot-timing';

/**
 * The fleet's boot script, as plain shell text (values may be CDK tokens; the user data joins
 * them at deploy time). Pure functions, so the script is reviewable in the template and testable
 * (`bash -n`) without AWS.
 *
 * Every step that could hang runs under `timeout` with its budget from lib/model/config/boot-timing.ts,
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
  /** The warm-pool lifecycle watcher (with a launching lifecycle hook only): script, unit and log. */
  lifecycleScript: '/opt/loadbearing/lifecycle.sh',
  lifecycleUnit: 'loadbearing-lifecycle',
  lifecycleLog: '/var/log/loadbearing/lifecycle.log',
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
  /**
   * Name of the group's launching lifecycle hook (a warm pool): the boot then completes the
   * lifecycle action it finds waiting, and a boot into the warm pool neither reports nor signals.
   * @default - no lifecycle hook
   */
  readonly lifecycleHookName?: string;
  /**
   * The exit trap signals SUCCESS only for a script that reached its end (`completionCommands`
   * last), so an early `exit 0` is a failed boot. Off only to reproduce a launch template exactly
   * as an earlier version deployed it (the delivery migration). @default true
   */
  readonly requireCompletion?: boolean;
  /** Where the boot writes the lifecycle watcher's script. @default BOOT_PATHS.lifecycleScript */
  readonly lifecycleScriptPath?: string;
  /**
   * With a lifecycle hook: whether the group has a warm pool, so the boot may be a warm-pool boot
   * and leaves the lifecycle watcher behind. Without one the boot only completes the launch action
   * (CONTINUE when healthy, ABANDON after a failure: under an instance refresh, a failed boot must
   * never serve).
   * @default true when lifecycleHookName is set
   */
  readonly warmPool?: boolean;
}

const q = (value: string) => `'${value}'`;

/** A retried AWS call of the exit path (the numbers are the boot timeline's EXIT_CALL). */
const CALL_FUNCTION = [
  'lb_call() {',
  `  for attempt in $(seq ${EXIT_CALL.tries}); do`,
  `    timeout ${EXIT_CALL.trySeconds} "$@" && return 0`,
  `    sleep ${EXIT_CALL.pauseSeconds}`,
  '  done',
  '  return 1',
  '}',
].join('\n');

/** The console and stdout (the boot log, or the lifecycle log). */
const SAY_FUNCTION = 'lb_say() { echo "loadbearing-boot: $*"; echo "loadbearing-boot: $*" > /dev/console 2>/dev/null || true; }';

/** One instance-metadata item (IMDSv2: a token, then the item), each request bounded. */
const IMDS_FUNCTIONS = [
  [
    'lb_imds() {',
    `  local token; token=$(curl -fsS -X PUT --max-time ${IMDS_REQUEST_SECONDS} -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) &&`,
    `  curl -fsS --max-time ${IMDS_REQUEST_SECONDS} -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"`,
    '}',
  ].join('\n'),
  'lb_instance_id() { lb_imds instance-id || echo unknown; }',
].join('\n');

const SIGNAL_FUNCTION = [
  'lb_signal() {',
  '  lb_call aws cloudformation signal-resource --region "$LB_REGION" --stack-name "$LB_STACK" --logical-resource-id "$LB_GROUP" --unique-id "$2" --status "$1" ||',
  '    lb_say "could not signal $1 to $LB_STACK/$LB_GROUP"',
  '}',
].join('\n');

/**
 * The launching lifecycle hook, from inside the instance. Auto Scaling sets the instance metadata
 * item `autoscaling/target-lifecycle-state` to the steady state an instance is heading for
 * (InService, Warmed:Stopped, Warmed:Running, Warmed:Hibernated, ...)
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/retrieving-target-lifecycle-state-through-imds.html);
 * the instance's current state (Pending:Wait, Warmed:Pending:Wait: a lifecycle action waits) and
 * the launch template version it was launched from come from DescribeAutoScalingInstances.
 * CompleteLifecycleAction names the group, the hook and the instance
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CompleteLifecycleAction.html).
 */
const LIFECYCLE_FUNCTIONS = [
  'lb_target_state() { lb_imds autoscaling/target-lifecycle-state || echo unknown; }',
  [
    'lb_asg_instance() {',
    `  timeout ${EXIT_CALL.trySeconds} aws autoscaling describe-auto-scaling-instances --region "$LB_REGION" --instance-ids "$1" \\`,
    "    --query 'AutoScalingInstances[0].[AutoScalingGroupName,LifecycleState,LaunchTemplate.Version]' --output text 2>/dev/null || true",
    '}',
  ].join('\n'),
  [
    'lb_complete_in() {',
    '  lb_call aws autoscaling complete-lifecycle-action --region "$LB_REGION" --auto-scaling-group-name "$3" --lifecycle-hook-name "$LB_HOOK" \\',
    '    --instance-id "$2" --lifecycle-action-result "$1" && lb_say "lifecycle action completed: $1" || lb_say "could not complete the lifecycle action: $1"',
    '}',
  ].join('\n'),
  [
    'lb_complete() {',
    '  local group state version',
    '  read -r group state version <<<"$(lb_asg_instance "$2")"',
    '  case "$state" in',
    '    Pending:Wait|Warmed:Pending:Wait) lb_complete_in "$1" "$2" "$group" ;;',
    '    *) lb_say "no lifecycle action waits (${state:-state unknown}): nothing to complete" ;;',
    '  esac',
    '}',
  ].join('\n'),
].join('\n');

/**
 * The lifecycle watcher (`loadbearing-lifecycle.service`, with a warm pool): `lb_watch`, a small
 * loop that reads the target lifecycle state from the instance metadata and acts on each change.
 *
 * - **InService** while a launch lifecycle action waits (Pending:Wait: a warm instance called into
 *   service): the instance's launch template version (DescribeAutoScalingInstances,
 *   https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AutoScalingInstanceDetails.html)
 *   must be the group's current one, or the watcher ABANDONs it at once: a CloudFormation rolling
 *   update replaces InService instances only, "Instances in the warm pool are not replaced"
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-warmpool.html),
 *   and Auto Scaling terminates an abandoned launch and launches another. When either version
 *   cannot be read it abandons too: a stale instance never enters service by accident. Then it
 *   starts the app, waits for its health as the boot does, and completes CONTINUE and signals
 *   SUCCESS (a rolling update may be waiting for this instance; outside one CloudFormation refuses
 *   the signal, harmlessly), or signals FAILURE and ABANDONs.
 * - **InService** with no action waiting (a reboot of an instance in service): nothing.
 * - **Warmed:*** (back to the warm pool on scale-in): stops the app, so a warm instance holds no
 *   connections.
 *
 * The boot writes it (`lb_write_watcher`: the variables and these functions as bash prints them,
 * so the user data carries them once) when it ends well, and starts it; the unit is enabled, so a
 * stopped warm instance runs it when it starts, and a running one keeps it running.
 */
function watcherFunctions(scriptPath: string): string {
  return [
    [
      'lb_enter_service() {',
      '  local id group state version current',
      '  id=$(lb_instance_id)',
      '  read -r group state version <<<"$(lb_asg_instance "$id")"',
      '  if [ "$state" != "Pending:Wait" ]; then lb_say "in service, no lifecycle action waits (${state:-state unknown})"; return 0; fi',
      `  current=$(lb_call aws autoscaling describe-auto-scaling-groups --region "$LB_REGION" --auto-scaling-group-names "$group" --query 'AutoScalingGroups[0].LaunchTemplate.Version' --output text)`,
      '  if [ -z "$version" ] || [ "$version" = None ] || [ "$version" != "$current" ]; then',
      '    lb_say "stale: launched from launch template version ${version:-unknown}, the group launches ${current:-unknown}: ABANDON"',
      '    lb_complete_in ABANDON "$id" "$group"; return 0',
      '  fi',
      `  systemctl start ${BOOT_PATHS.unit}`,
      '  if lb_health_wait; then',
      '    lb_say "warm start healthy: CONTINUE"; lb_complete_in CONTINUE "$id" "$group"; lb_signal SUCCESS "$id"',
      '  else',
      '    lb_say "warm start FAILED on $id: $LB_REASON"; lb_signal FAILURE "$id"; lb_complete_in ABANDON "$id" "$group"',
      '  fi',
      '}',
    ].join('\n'),
    [
      'lb_watch() {',
      "  local last='' target",
      '  while :; do',
      '    target=$(lb_target_state)',
      '    if [ "$target" != "$last" ] && [ "$target" != unknown ]; then',
      '      lb_say "target lifecycle state: $target"',
      '      case "$target" in',
      '        InService) lb_enter_service ;;',
      `        Warmed:*) systemctl stop ${BOOT_PATHS.unit} ;;`,
      '      esac',
      '      last=$target',
      '    fi',
      '    sleep 5',
      '  done',
      '}',
    ].join('\n'),
    [
      'lb_write_watcher() {',
      "  { echo '#!/bin/bash'; echo 'set -uo pipefail'; declare -p LB_STACK LB_GROUP LB_REGION LB_HOOK; echo \"LB_REASON=''\"",
      '    declare -f lb_say lb_imds lb_instance_id lb_call lb_signal lb_target_state lb_asg_instance lb_complete_in lb_last_words lb_health_wait lb_enter_service lb_watch',
      `    echo lb_watch; } > ${q(scriptPath)} && chmod 0755 ${q(scriptPath)}`,
      '}',
    ].join('\n'),
  ].join('\n');
}

/**
 * Strict mode, helpers and the exit trap. Any failing command ends the script; the trap then
 * reports the step and the reason on the console, to the wait condition (a stack event) and
 * signals FAILURE to the group, which fails the deploy at once; a script that reaches its end
 * signals SUCCESS. Signals go through the AWS CLI (preinstalled on AL2023), so even a failed
 * package install is reported.
 *
 * With a launching lifecycle hook (`lifecycleHookName`), the end also completes the lifecycle
 * action: CONTINUE before the SUCCESS signal (the instance enters service, then the rollout
 * counts it), ABANDON after the FAILURE signal (Auto Scaling terminates it). A boot into the warm
 * pool (target state Warmed:*) only prepares the instance: on success it stops the app (a warm
 * instance holds no connections), starts the lifecycle watcher ({@link lifecycleWatcherScript})
 * and completes CONTINUE; it neither reports nor signals, because the instance does not enter
 * service now.
 */
export function preambleCommands(report: BootReport): string[] {
  const hook = report.lifecycleHookName !== undefined;
  const watcher = hook && report.warmPool !== false;
  const reason = '  local reason; reason=$(lb_reason "$code")';
  return [
    'set -euo pipefail',
    `LB_STACK=${q(report.stackName)}; LB_GROUP=${q(report.groupLogicalId)}; LB_REGION=${q(report.region)}; LB_REASON_URL=${q(report.reasonUrl ?? '')}${hook ? `; LB_HOOK=${q(report.lifecycleHookName!)}` : ''}`,
    report.requireCompletion === false ? "LB_STEP='start'; LB_REASON=''" : "LB_STEP='start'; LB_REASON=''; LB_DONE=0",
    SAY_FUNCTION,
    'lb_step() { LB_STEP="$1"; lb_say "step: $1"; }',
    'lb_fail() { LB_REASON="$1"; exit 1; }',
    // One safe line for the JSON report and the console: the step and the reason, at most 240 characters.
    "lb_reason() { printf '%s' \"$LB_STEP: ${LB_REASON:-exit code $1}\" | tr -c 'A-Za-z0-9 _.,:;=/()@+-' ' ' | cut -c1-240; }",
    IMDS_FUNCTIONS,
    CALL_FUNCTION,
    [
      'lb_report() {',
      '  [ -n "$LB_REASON_URL" ] || return 0',
      `  timeout ${REPORT_SECONDS} curl -fsS -o /dev/null -X PUT -H 'Content-Type:' --data-binary "{\\"Status\\":\\"$1\\",\\"Reason\\":\\"$2\\",\\"UniqueId\\":\\"$3\\",\\"Data\\":\\"$1\\"}" "$LB_REASON_URL" || lb_say "could not report to the wait condition"`,
      '}',
    ].join('\n'),
    SIGNAL_FUNCTION,
    ...(hook ? [LIFECYCLE_FUNCTIONS] : []),
    ...(watcher ? [watcherFunctions(report.lifecycleScriptPath ?? BOOT_PATHS.lifecycleScript)] : []),
    [
      'lb_exit() {',
      '  local code=$?',
      '  trap - EXIT; set +e',
      // Exit code 0 counts only at the end of the script (completionCommands): an `exit 0` on the
      // way (in a team's bootCommands) would otherwise signal SUCCESS for an app never installed.
      ...(report.requireCompletion === false
        ? []
        : [
            '  if [ "$code" -eq 0 ] && [ "$LB_DONE" != 1 ]; then LB_REASON="the boot script exited before its end (an exit in bootCommands?)"; code=1; fi',
          ]),
      '  local id; id=$(lb_instance_id)',
      ...(watcher
        ? [
            '  local target; target=$(lb_target_state)',
            '  if [[ "$target" == Warmed:* ]]; then',
            '    if [ "$code" -eq 0 ]; then',
            `      lb_say "prepared for the warm pool ($target)"; systemctl stop ${BOOT_PATHS.unit}; lb_write_watcher; systemctl start --no-block ${BOOT_PATHS.lifecycleUnit}`,
            '      lb_complete CONTINUE "$id"; exit 0',
            '    fi',
            reason.replace('  local', '    local'),
            '    lb_say "FAILED on $id (warm pool): $reason"; lb_complete ABANDON "$id"; exit "$code"',
            '  fi',
          ]
        : []),
      '  if [ "$code" -eq 0 ]; then',
      watcher
        ? `    lb_say "healthy: signalling SUCCESS"; lb_complete CONTINUE "$id"; lb_write_watcher; systemctl start --no-block ${BOOT_PATHS.lifecycleUnit}; lb_report SUCCESS healthy "$id"; lb_signal SUCCESS "$id"; exit 0`
        : hook
          ? '    lb_say "healthy: signalling SUCCESS"; lb_complete CONTINUE "$id"; lb_report SUCCESS healthy "$id"; lb_signal SUCCESS "$id"; exit 0'
          : '    lb_say "healthy: signalling SUCCESS"; lb_report SUCCESS healthy "$id"; lb_signal SUCCESS "$id"; exit 0',
      '  fi',
      reason,
      '  lb_say "FAILED on $id: $reason"',
      // The reason first, and a pause so it lands before the group's failure cancels the wait condition.
      `  lb_report FAILURE "$reason" "$id"; sleep ${REPORT_PAUSE_SECONDS}`,
      '  lb_signal FAILURE "$id"',
      ...(hook ? ['  lb_complete ABANDON "$id"'] : []),
      '  exit "$code"',
      '}',
    ].join('\n'),
    'trap lb_exit EXIT',
  ];
}

/** The last line of the boot script: the exit trap signals SUCCESS only after it. */
export function completionCommands(): string[] {
  return ['LB_DONE=1'];
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
      logs_collected: {
        files: {
          collect_list: logs.map((l) => ({ file_path: l.file, log_group_name: l.group, log_stream_name: l.stream, timezone: 'UTC' })),
        },
      },
      force_flush_interval: 5,
    },
  };
  return [
    'lb_step "log agent"',
    `mkdir -p ${BOOT_PATHS.logDir}`,
    `cat > /etc/logrotate.d/loadbearing <<'EOF'\n${BOOT_PATHS.logDir}/*.log {\n  size 100M\n  rotate 5\n  compress\n  missingok\n  notifempty\n  copytruncate\n}\nEOF`,
    `cat > ${BOOT_PATHS.agentConfig} <<'EOF'\n${JSON.stringify(config)}\nEOF`,
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
  /**
   * `KillMode=mixed` (below). False only for the one deploy that moves a stack to the instance
   * refresh: it must leave the deployed unit exactly as it was (docs/delivering.md).
   * @default true
   */
  readonly killModeMixed?: boolean;
}

/**
 * The systemd unit of the app. `KillMode=mixed`: on stop, SIGTERM goes to the main process only
 * and SIGKILL, after `TimeoutStopSec` or once the main process has exited, to every process left
 * in the unit's control group (https://man7.org/linux/man-pages/man5/systemd.kill.5.html). The
 * reference service's main process is the supervising primary of its workers (ADR 0006): it drains
 * them itself within `APP_SHUTDOWN_DRAIN_MS` and exits after them; with the default
 * `control-group`, every worker would get SIGTERM at the same moment as the primary.
 */
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
    ...(u.killModeMixed === false ? [] : ['KillMode=mixed']),
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
 * reboots, or leaves a stopped warm pool, starts the app again without the boot script. The
 * reload and the start share one budget (the timeline counts the step once). `alsoEnable`: units
 * written before (the lifecycle watcher), enabled in the same step and started later.
 */
export function serviceCommands(unit: string, alsoEnable: readonly string[] = []): string[] {
  const { user, logDir, unit: name } = BOOT_PATHS;
  const enable = alsoEnable.map((u) => `systemctl enable ${u} && `).join('');
  return [
    'lb_step "service start"',
    `id -u ${user} >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin ${user}`,
    `touch ${BOOT_PATHS.stdoutLog} ${BOOT_PATHS.stderrLog} && chown -R ${user}:${user} ${logDir}`,
    `cat > /etc/systemd/system/${name}.service <<'EOF'\n${unit}\nEOF`,
    `timeout ${BOOT_STEP_SECONDS.serviceStart} sh -c 'systemctl daemon-reload && ${enable}systemctl enable --now ${name}'`,
  ];
}

/**
 * `lb_health_wait`: GET the health path until it answers 2xx, each probe with its own timeout.
 * Returns 1, with the reason in LB_REASON, at once when the app exits (systemd restarts it: one
 * restart means it crashed), and at the deadline when it stays unhealthy; either way with the
 * last lines of its stderr. Shared by the boot and the lifecycle watcher.
 */
function healthWaitFunction(port: number | string, path: string, wait: HealthWait): string {
  const url = `http://127.0.0.1:${port}${path}`;
  const { unit, stderrLog, stdoutLog } = BOOT_PATHS;
  const lastWords = '$(lb_last_words)';
  return [
    `lb_last_words() { (tail -n 3 ${stderrLog}; tail -n 1 ${stdoutLog}) 2>/dev/null | tr '\\n' ' '; }`,
    'lb_health_wait() {',
    `  local lb_deadline=$((SECONDS + ${wait.waitSeconds}))`,
    '  while :; do',
    `    if curl -fsS -o /dev/null --connect-timeout ${wait.probeTimeoutSeconds} --max-time ${wait.probeTimeoutSeconds} ${url}; then return 0; fi`,
    `    if [ "$(systemctl show -p NRestarts --value ${unit})" != "0" ] || ! systemctl is-active --quiet ${unit}; then`,
    `      LB_REASON="the app exited (status $(systemctl show -p ExecMainStatus --value ${unit})): ${lastWords}"; return 1`,
    '    fi',
    `    if [ "$SECONDS" -ge "$lb_deadline" ]; then LB_REASON="no answer from ${url} within ${wait.waitSeconds} s: ${lastWords}"; return 1; fi`,
    `    sleep ${wait.probeIntervalSeconds}`,
    '  done',
    '}',
  ].join('\n');
}

/**
 * The verdict: the health wait ({@link healthWaitFunction}); a failure ends the boot with its reason.
 */
export function healthWaitCommands(port: number | string, path: string, wait: HealthWait): string[] {
  return [
    'lb_step "health wait"',
    healthWaitFunction(port, path, wait),
    'lb_health_wait || exit 1',
    `lb_say "healthy: http://127.0.0.1:${port}${path} answers"`,
  ];
}

/** The watcher's systemd unit: restarted if it dies, at every start of the instance. */
export function lifecycleWatcherUnit(): string {
  return [
    '[Unit]',
    'Description=loadbearing lifecycle watcher: warm-pool transitions of this instance',
    'Wants=network-online.target',
    'After=network-online.target',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=/bin/bash ${BOOT_PATHS.lifecycleScript}`,
    'Restart=always',
    'RestartSec=5',
    `StandardOutput=append:${BOOT_PATHS.lifecycleLog}`,
    `StandardError=append:${BOOT_PATHS.lifecycleLog}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
}

/**
 * Writes the watcher's unit; {@link serviceCommands} enables it (`alsoEnable`), and the end of a
 * successful boot writes its script ({@link preambleCommands}: `lb_write_watcher`) and starts it.
 */
export function lifecycleWatcherCommands(): string[] {
  return [`cat > /etc/systemd/system/${BOOT_PATHS.lifecycleUnit}.service <<'EOF'\n${lifecycleWatcherUnit()}\nEOF`];
}
