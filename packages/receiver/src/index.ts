export * from './camera.js';
export * from './frame.js';
export * from './receiver.js';
export * from './sinks/disk.js';
export * from './socket.js';
