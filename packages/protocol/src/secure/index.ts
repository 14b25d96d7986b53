export * from './aead.js';
export * from './key.js';
export * from './layout.js';
export * from './opener.js';
export * from './opener-native.js';
export * from './replay-window.js';
export * from './sealer.js';
export { SESSION_KEY_INFO } from './session-key.js';
