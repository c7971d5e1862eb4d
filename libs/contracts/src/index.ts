export * from './ipam';
export * from './bus';
export * from './projects';
export * from './api';
export * from './mappings';
export * from './sync';
export * from './syncer';
export * from './exposures';
