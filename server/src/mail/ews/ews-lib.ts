/** ews-javascript-api takes about a second to load, so it is loaded when the first EWS mailbox or test needs it. */
export type Ews = typeof import('ews-javascript-api');

let loading: Promise<Ews> | null = null;

export function loadEws(): Promise<Ews> {
  return (loading ??= import('ews-javascript-api'));
}
