export * from './nack-channel.js';
export * from './nack-tracker.js';
