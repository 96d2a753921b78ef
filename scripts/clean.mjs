// Removes dist/ before a build, so deleted sources and tests leave nothing behind.
import { rmSync } from "node:fs";
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
