import { defineConfig } from "vite";

// The build is served by the API's origin (locally by scripts/local_api.py, in AWS from S3 behind it):
// plain relative assets, no external URL at run time.
export default defineConfig({
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, assetsDir: "assets", sourcemap: false, chunkSizeWarningLimit: 400 },
});
