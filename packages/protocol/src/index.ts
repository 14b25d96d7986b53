export * from './assembler.js';
export * from './chunker.js';
export * from './clock.js';
export * from './errors.js';
export * from './header.js';
export * from './jpeg.js';
export * from './legacy.js';
export * from './meta.js';
