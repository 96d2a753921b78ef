// The architecture's import rule (docs/ARCHITECTURE.md), as an ESLint rule:
// each folder of src/ is a layer, and a module may import only from the
// layers listed for its own. Type-only imports may also reach the layers in
// `types` (a view may name the client's event types without running its code).
// Node built-ins are allowed unless the layer lists them in `noBuiltins`, or
// forbids all of them (`builtins: false`, for code that also runs in the page).
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");

/** Built-ins that do I/O, start threads or processes: never in the pure protocol. */
const IO_BUILTINS = ["fs", "fs/promises", "net", "tls", "http", "https", "http2", "dgram", "dns", "zlib", "stream", "stream/promises", "worker_threads", "child_process", "cluster", "readline"];

export const LAYERS = {
  protocol: { imports: ["protocol"], noBuiltins: IO_BUILTINS, exceptions: { "protocol/assets.ts": ["fs"] } },
  io: { imports: ["io", "protocol"] },
  client: { imports: ["client", "io", "protocol", "present"] },
  server: { imports: ["server", "protocol"] },
  present: { imports: ["present"], types: ["client", "protocol"], builtins: false },
  tui: { imports: ["tui", "present", "client", "protocol"] },
  "json-api": { imports: ["json-api", "present", "client", "protocol"] },
  gui: { imports: ["gui", "present", "client", "protocol"], types: ["gui/page"] },
  "gui/page": { imports: ["gui/page", "present"], types: ["client", "protocol"], builtins: false },
  commands: { imports: ["commands", "tui", "json-api", "gui", "present", "client", "server", "io", "protocol"] },
};

/** The layer a file under src/ belongs to (the longest matching folder), or null outside src/. */
export function layerOf(file) {
  const rel = relative(SRC, file).split(sep).join("/");
  if (rel.startsWith("..") || rel === file) return null;
  let best = null;
  for (const name of Object.keys(LAYERS)) {
    if ((rel.startsWith(name + "/") || rel === name) && (!best || name.length > best.length)) best = name;
  }
  return best ?? "(unlisted)";
}

function builtinName(spec) {
  if (spec.startsWith("node:")) return spec.slice(5);
  return null;
}

const rule = {
  meta: {
    type: "problem",
    docs: { description: "Imports must follow the layers of docs/ARCHITECTURE.md" },
    schema: [],
    messages: {
      layer: "{{from}} may not import {{to}} ({{spec}}): see docs/ARCHITECTURE.md",
      builtin: "{{from}} may not use node:{{name}}: see docs/ARCHITECTURE.md",
      unlisted: "{{file}} is in a folder docs/ARCHITECTURE.md does not list",
    },
  },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    if (from === null) return {};
    const rules = LAYERS[from];
    const relFile = relative(SRC, file).split(sep).join("/");
    function check(node, source, typeOnly) {
      if (!source || typeof source.value !== "string") return;
      const spec = source.value;
      const name = builtinName(spec);
      if (name !== null) {
        const allowedHere = (rules.exceptions?.[relFile] ?? []).includes(name);
        if (!allowedHere && !typeOnly && (rules.builtins === false || rules.noBuiltins?.includes(name))) {
          context.report({ node, messageId: "builtin", data: { from, name } });
        }
        return;
      }
      if (!spec.startsWith(".")) return;
      const to = layerOf(resolve(dirname(file), spec));
      if (to === null || to === from) return;
      if (rules.imports.includes(to) || (typeOnly && rules.types?.includes(to))) return;
      context.report({ node, messageId: "layer", data: { from, to, spec } });
    }
    return {
      Program(node) {
        if (!rules) context.report({ node, messageId: "unlisted", data: { file: relFile } });
      },
      ImportDeclaration(node) {
        const typeOnly = node.importKind === "type" || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === "type"));
        if (rules) check(node, node.source, typeOnly);
      },
      ExportAllDeclaration(node) {
        if (rules) check(node, node.source, node.exportKind === "type");
      },
      ExportNamedDeclaration(node) {
        if (rules && node.source) check(node, node.source, node.exportKind === "type");
      },
      ImportExpression(node) {
        if (rules && node.source.type === "Literal") check(node, node.source, false);
      },
    };
  },
};

export default { rules: { layers: rule } };
