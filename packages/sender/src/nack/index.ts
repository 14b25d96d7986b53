export * from './nack-responder.js';
export * from './resend-budget.js';
export * from './resend-ring.js';
