export * from './app-env';
export * from './app-metrics';
export * from './connection-bounds';
export * from './error-shape';
export * from './metrics';
export * from './workers';
export * from './contract-table';
