import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { addPolicyPacks } from '../../lib/platform/policies/policy-packs';
import { defaultValidationCacheDirectory } from '../../lib/platform/policies/validation-cache';

/**
 * The bench's floor: node starting, loading aws-cdk-lib and synthesizing one (almost) empty
 * stack through the same policy gates and cache as the real app. A wait-condition handle is the
 * one resource: free, and it keeps the template valid for the CloudFormation validator.
 */
const app = new App();
const stack = new Stack(app, 'bench-floor', { env: { account: '111111111111', region: 'us-east-1' } });
new CfnWaitConditionHandle(stack, 'Placeholder');
addPolicyPacks(app, {
  cacheDirectory: defaultValidationCacheDirectory(),
  builtinValidation: true,
});
app.synth();
