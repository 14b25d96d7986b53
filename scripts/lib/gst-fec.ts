/**
 * GStreamer's own forward error correction around RTP/JPEG, for bench-loss (gstreamer1.0-plugins-
 * good): ULPFEC (RFC 5109, FEC packets in the media stream) and SMPTE ST 2022-1 (XOR row and
 * column FEC inside rtpbin, on media port + 2 and + 4), around gstSenderArgs / gstReceiverArgs.
 */
import { gstReceiverArgs, gstSenderArgs } from './gstreamer.js';

/** Which GStreamer FEC, and at what overhead (% more packets). */
export type GstFec =
  | { kind: 'none' }
  | { kind: 'ulpfec'; percentage: number }
  | { kind: 'st2022-1'; columns: number; rows: number };

const RTP_JPEG_CAPS = 'application/x-rtp,media=video,clock-rate=90000,encoding-name=JPEG,payload=26';
const ULPFEC_PT = 122;

/** Ports a GStreamer stream with `fec` uses, media port first. */
export function gstPorts(port: number, fec: GstFec): number[] {
  return fec.kind === 'st2022-1' ? [port, port + 2, port + 4] : [port];
}

/** `gst-launch-1.0` arguments of the sender. */
export function gstFecSenderArgs(
  fec: GstFec,
  pattern: string,
  count: number,
  fps: number,
  port: number,
  mtu: number,
): string[] {
  const plain = gstSenderArgs(pattern, count, fps, port, mtu);
  if (fec.kind === 'none') return plain;
  const sink = plain.indexOf('udpsink');
  const source = plain.slice(0, sink - 1); // ... ! rtpjpegpay mtu=
  if (fec.kind === 'ulpfec') {
    const encoder = ['rtpulpfecenc', `percentage=${fec.percentage}`, `pt=${ULPFEC_PT}`, 'multipacket=true'];
    return [...source, '!', ...encoder, '!', ...plain.slice(sink)];
  }
  const sinkTo = (to: number) => ['!', 'udpsink', 'host=127.0.0.1', `port=${to}`];
  return [
    ...['rtpbin', 'name=rtp'],
    `fec-encoders=fec,0="rtpst2022-1-fecenc\\ rows\\=${fec.rows}\\ columns\\=${fec.columns}";`,
    ...[...source, 'ssrc=0', '!', 'rtp.send_rtp_sink_0'],
    ...['rtp.send_rtp_src_0', ...sinkTo(port)],
    ...['rtp.send_fec_src_0_0', ...sinkTo(port + 2), 'async=false'],
    ...['rtp.send_fec_src_0_1', ...sinkTo(port + 4), 'async=false'],
  ];
}

/**
 * `gst-launch-1.0` arguments of the receiver. With FEC a jitter buffer (200 ms) tells the decoder
 * which packets are missing, as GStreamer's documentation pipelines do.
 */
export function gstFecReceiverArgs(fec: GstFec, port: number, outPattern: string): string[] {
  const plain = gstReceiverArgs(port, outPattern);
  if (fec.kind === 'none') return plain;
  const depay = plain.indexOf('rtpjpegdepay');
  const udpsrc = plain.slice(0, depay - 1);
  const sink = plain.slice(depay);
  if (fec.kind === 'ulpfec') {
    return [
      ...[...udpsrc, '!', 'rtpstorage', 'size-time=220000000', '!', 'rtpssrcdemux', '!', RTP_JPEG_CAPS],
      ...['!', 'rtpjitterbuffer', 'do-lost=1', 'latency=200', '!', 'rtpulpfecdec', `pt=${ULPFEC_PT}`],
      ...['!', ...sink],
    ];
  }
  const fecFrom = (from: number, pad: string) => [
    ...['udpsrc', 'address=127.0.0.1', `port=${from}`, 'caps=application/x-rtp,payload=96'],
    ...['!', 'queue', '!', pad],
  ];
  return [
    ...['rtpbin', 'latency=200', 'fec-decoders=fec,0="rtpst2022-1-fecdec\\ size-time\\=1000000000";'],
    'name=rtp',
    ...fecFrom(port + 2, 'rtp.recv_fec_sink_0_0'),
    ...fecFrom(port + 4, 'rtp.recv_fec_sink_0_1'),
    ...[...udpsrc, '!', 'queue', '!', 'rtp.recv_rtp_sink_0'],
    ...['rtp.', '!', ...sink],
  ];
}
