export * from './nack.js';
