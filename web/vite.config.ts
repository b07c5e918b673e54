// The browser client's build: React + Vite, from web/ into web/dist, which the API serves (api/web-app.ts).
// `npm run dev:web` serves it with hot reload on :5173 and forwards the API and the simulator to `npm start`'s port.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = `http://127.0.0.1:${process.env.API_PORT ?? 8080}`;

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/v1': api, '/_sim': api, '/app-config.json': api } },
  logLevel: 'warn',
});
