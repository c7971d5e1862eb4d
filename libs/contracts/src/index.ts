export * from './ipam';
export * from './bus';
export * from './projects';
export * from './api';
