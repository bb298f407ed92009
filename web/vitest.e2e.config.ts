import { defineConfig } from "vitest/config";

// End-to-end tests drive Debian's Chromium against a running platform;
// they run one file at a time, in order, from the Go test that starts it.
export default defineConfig({
  test: { include: ["e2e/**/*.e2e.ts"], environment: "node", fileParallelism: false, testTimeout: 60_000, hookTimeout: 60_000 },
});
