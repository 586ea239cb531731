export * from './isolated-impact';
export * from './isolated-impact-expressions';
