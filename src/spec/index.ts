export type * from './model-backend-v1.js';
export type * from './plugin-v1.js';
export type * from './reward-model-v1.js';
export type * from './shared-v1.js';
