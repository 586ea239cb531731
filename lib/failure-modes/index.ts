export * from './failure-mode';
export * from './modes';
export * from './failure-modes-reference';
