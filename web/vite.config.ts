import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { compression } from 'vite-plugin-compression2';

const api = process.env.MAILROOM_API_URL ?? 'http://localhost:4000';

export default defineConfig({
  // .gz and .br beside every text asset: the server sends them precompressed (sirv).
  plugins: [vue(), compression({ algorithms: ['gzip', 'brotliCompress'] })],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    rolldownOptions: {
      output: {
        // One cacheable vendor chunk (vue, router, urql, graphql-ws) instead of helper-named splits.
        // The generated typed documents get a chunk of their own name rather than a helper's.
        codeSplitting: {
          groups: [
            // re2js (rule patterns) stays with the rules screen that needs it.
            { name: 'vendor', test: /node_modules(?!.*re2js)/ },
            { name: 'documents', test: /src\/graphql\/generated\// },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true, changeOrigin: false },
      '/oauth': { target: api },
      '/healthz': { target: api },
    },
  },
  preview: {
    proxy: {
      '/graphql': { target: api, ws: true, changeOrigin: false },
      '/oauth': { target: api },
      '/healthz': { target: api },
    },
  },
});
