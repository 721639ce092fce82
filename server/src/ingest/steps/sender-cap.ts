/**
 * SPEC §4 step 4, last line of defence against loops no header gives away (an autoresponder that
 * sets none, a forwarding rule bouncing between two systems): a sender who has already opened
 * `cap` tickets within the last hour opens no more. A cap of 0 or less turns the check off.
 */
export const SENDER_CAP_WINDOW_MS = 60 * 60 * 1000;

export interface SenderCapVerdict { exceeded: boolean; count: number; reason: string }

export async function checkSenderCap(
  address: string,
  cap: number,
  now: Date,
  ticketsFromSenderSince: (address: string, since: Date) => Promise<number>,
): Promise<SenderCapVerdict> {
  if (!(cap > 0)) return { exceeded: false, count: 0, reason: 'per-sender cap is off' };
  const count = await ticketsFromSenderSince(address, new Date(now.getTime() - SENDER_CAP_WINDOW_MS));
  return count >= cap
    ? { exceeded: true, count, reason: `sender ${address} already opened ${count} tickets in the last hour (cap ${cap})` }
    : { exceeded: false, count, reason: `sender ${address} opened ${count} of ${cap} tickets allowed per hour` };
}
