export * from './app-environment';
export * from './config';
export * from './deploy';
export * from './feature-flags';
export * from './invariants';
export * from './platform-app';
export * from './platform-stack';
export * from './policies';
