import { importInSteps } from '../lib/import-in-steps.js';

// undici (~8 MB of heap) loads with the first outbound HTTPS call (OAuth, EWS, Graph, a remote
// image), not with the process; its larger parts first, each in its own turn (importInSteps).
const PARTS = [
  () => import('undici/lib/core/util.js'),
  () => import('undici/lib/dispatcher/client.js'),
  () => import('undici/lib/dispatcher/agent.js'),
  () => import('undici/lib/web/fetch/index.js'),
];

let undici: Promise<typeof import('undici')> | null = null;

export function loadUndici(): Promise<typeof import('undici')> {
  return (undici ??= importInSteps(PARTS).then(() => import('undici')));
}
