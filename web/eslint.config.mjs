import next from "eslint-config-next/core-web-vitals";
import ts from "eslint-config-next/typescript";

const config = [
  ...next,
  ...ts,
  { ignores: [".next/", "node_modules/", "src/api/*.d.ts", "next-env.d.ts", "public/sw.js"] },
];

export default config;
