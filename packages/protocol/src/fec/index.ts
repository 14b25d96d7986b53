export * from './fec-slot.js';
export * from './parity.js';
export {
  encodeParity,
  encodeParityPortable,
  MAX_TOTAL_SHARDS,
  parityMatrix,
  reconstructData,
} from './reed-solomon.js';
