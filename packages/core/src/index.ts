export * from './dates.js';
export * from './endpoint-pattern.js';
export * from './errors.js';
export * from './hash.js';
export * from './lifetime.js';
export * from './password.js';
export * from './permissions.js';
export * from './token-format.js';
