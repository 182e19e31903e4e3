import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the edge at /console. Maven builds into its own output dir (--outDir), which it packages into the
// edge jar as console/ on the classpath. Assets carry a content hash, so the edge marks them immutable.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    // the modulepreload polyfill is an inline script the Content-Security-Policy refuses; every target browser
    // supports modulepreload natively
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev`: the API of a running `./soma demo` (or of SOMA_EDGE_URL)
    proxy: { '/v1': process.env.SOMA_EDGE_URL ?? 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['src/**/*.test.ts'],
  },
});
