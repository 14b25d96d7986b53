export * from './fec-slot.js';
export * from './parity.js';
export {
  encodeParity,
  encodeParityPortable,
  MAX_TOTAL_SHARDS,
  parityMatrix,
  reconstructData,
  reconstructDataPortable,
} from './reed-solomon.js';
