/** A Sender wired for tests: its Transmitter sends to a loopback port, its events are collected. */
import {
  type FrameEvent,
  Sender,
  type SenderOptions,
  type SenderWarning,
  Transmitter,
  type TransmitterOptions,
} from '@udpcam/sender';

/**
 * A Sender to 127.0.0.1:`port` (1400-byte payloads unless `transmitterOptions` say otherwise),
 * with the frame and warning events it emits, in order.
 */
export function watchedSender(
  port: number,
  options: Omit<SenderOptions, 'transmitter'> & Partial<SenderOptions>,
  transmitterOptions: Partial<TransmitterOptions> = {},
): { sender: Sender; transmitter: Transmitter; events: FrameEvent[]; warnings: SenderWarning[] } {
  const transmitter = new Transmitter({ host: '127.0.0.1', port, packetSize: 1400, ...transmitterOptions });
  const sender = new Sender({ transmitter, ...options });
  const events: FrameEvent[] = [];
  const warnings: SenderWarning[] = [];
  sender.on('frame', (event) => events.push(event));
  sender.on('warning', (warning) => warnings.push(warning));
  return { sender, transmitter, events, warnings };
}
