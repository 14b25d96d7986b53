/**
 * @udpcam/area: `udpcam area`, the capture-area picker, as a local web page. The tree follows the
 * data path:
 *
 *   live-frames.ts  one reader of the source: the newest frame as a JPEG, grabbed on demand
 *   preview.ts      that frame through the sender's AreaWarp, encoded, one render at a time
 *   points.ts       corner lists ("x,y x,y x,y x,y") ↔ capture_area.json
 *   area-file.ts    writing capture_area.json atomically
 *   server.ts       HTTP routes (+ respond.ts helpers); ../page/ is the page it serves
 */
export { checkAreaTarget, writeCaptureArea } from './area-file.js';
export { type LiveFrame, LiveFrames, type LiveFramesOptions } from './live-frames.js';
export { type Corner, captureArea, parsePoints, type Size } from './points.js';
export { type AreaCheck, type PreviewOptions, PreviewRenderer } from './preview.js';
export { AreaServer, type AreaServerOptions } from './server.js';
