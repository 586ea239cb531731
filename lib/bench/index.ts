export * from './bench-table';
export * from './cpu-profile';
export * from './measure';
export * from './proving-ground-timings';
export * from './run-bench';
export * from './synth-counter';
export * from './targets';
export * from './template-stats';
