// Imported first by main.ts, so it runs before the rest of the server is evaluated.
import v8 from 'node:v8';

// Node 24 sizes its heap for throughput: an idle Mailroom held ~280 MB RSS. Heap sizing for
// memory brings it to ~115 MB. Not allowed in NODE_OPTIONS, and a command-line flag would have to
// be repeated by every launcher (pnpm start, a service unit, the tests), hence here.
v8.setFlagsFromString('--optimize-for-size');
