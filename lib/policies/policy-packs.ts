import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { ControlTowerGuard } from './control-tower-guard';

/**
 * Registers the policy gates that run on every synth: cdk-nag's AwsSolutions and
 * NIST 800-53 rev 5 packs, and the AWS Control Tower proactive controls (cfn-guard). Any
 * finding that is neither fixed nor acknowledged (next to the resource it concerns, with a
 * reason) fails synth.
 */
export function addPolicyPacks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new NIST80053R5Checks(app, { verbose: true }),
    new ControlTowerGuard(),
  );
}
