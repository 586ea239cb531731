export * from './failure-mode';
export * from './modes';
export * from './failure-modes-reference';
export * from './rehearsals';
export * from './drills';
export * from './stop-rules';
export * from './catalogue';
export * from './drill-checks';
