export * from './app-env';
export * from './error-shape';
export * from './metrics';
export * from './contract-table';
