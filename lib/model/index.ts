// The platform's model: config, invariants, failure modes, the deploy-time analyses of templates
// and the zonal isolated-impact rule. Free of aws-cdk-lib and of the constructs: every other layer
// builds on it.
export * from './app-environment';
export * from './config';
export * from './deploy';
export * from './failure-modes';
export * from './invariants';
export * from './zonal';
