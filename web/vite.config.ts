import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The server serves `dist/` embedded in the binary: hashed files under `assets/` are cached
// forever, `index.html` is revalidated. `npm run dev` proxies API calls to a local plane-aio.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/readyz": "http://127.0.0.1:8080",
      "/healthz": "http://127.0.0.1:8080",
    },
  },
});
