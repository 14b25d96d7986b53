/**
 * The worker side of WorkerWarp: one AreaWarp built from the capture area in workerData, applied
 * to each frame that arrives (transferred) into a fresh output buffer that leaves transferred.
 */
import { workerData } from 'node:worker_threads';
import { serveRequests } from '../worker-client.js';
import { AreaWarp, type CaptureArea } from './warp.js';

/** A frame to warp: RGBA, rows packed. */
export interface WarpRequest {
  id: number;
  data: Uint8Array;
  width: number;
  height: number;
  /** Another area than workerData's, for this frame (the area tool's preview: corners move). */
  area?: CaptureArea;
}

/** The warped frame: the area's visible size, RGBA. */
export interface WarpResult {
  data: Uint8Array;
}

const warp = new AreaWarp(workerData as CaptureArea);
/** The warp of the last `request.area` (areas change only when a corner moves). */
let other: { key: string; warp: AreaWarp } | undefined;

function warpFor(area: CaptureArea | undefined): AreaWarp {
  if (area === undefined) return warp;
  const key = JSON.stringify(area);
  if (other?.key !== key) other = { key, warp: new AreaWarp(area) };
  return other.warp;
}

serveRequests<WarpRequest, WarpResult>((request) => {
  const warp = warpFor(request.area);
  return { data: warp.warp(request, new Uint8Array(warp.width * warp.height * 4)) };
});
