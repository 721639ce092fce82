// undici's internal modules, imported only to load the package in parts (mail/undici.ts); their
// exports are not used, so they need no types.
declare module 'undici/lib/core/util.js';
declare module 'undici/lib/dispatcher/client.js';
declare module 'undici/lib/dispatcher/agent.js';
declare module 'undici/lib/web/fetch/index.js';
