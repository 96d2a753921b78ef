// Lint rules: the recommended sets, plus a few that catch real mistakes in
// async network code (floating promises are how errors go missing).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";
import architecture from "./scripts/lint/layers.js";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "test-results/", "src/gui/static/vendor/"] },
  js.configs.recommended,
  { files: ["**/*.mjs", "**/*.js"], languageOptions: { globals: { ...globals.node } } },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { project: "./tsconfig.json" } },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] }] },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // The layers of docs/ARCHITECTURE.md: a wrong import fails `npm run lint`.
    files: ["src/**/*.ts", "src/**/*.mts"],
    plugins: { architecture },
    rules: { "architecture/layers": "error" },
  },
);
