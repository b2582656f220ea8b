export * from './bits.js';
export * from './compute.js';
export * from './policy.js';
export * from './visible.js';
export * from './rooms.js';
export * from './channel-access.js';
export * from './hierarchy.js';
