export * from './moto';
export * from './postgres';
export * from './prerequisites';
export * from './processes';
export * from './redis';
export * from './service-node';
export * from './service-stack';
