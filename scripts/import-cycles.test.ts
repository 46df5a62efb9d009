// src/ has no import circle (type-only imports included), and the finder
// does find one when it is planted, in every spelling of an import.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { findCycles, importGraph } from "./import-cycles.ts";

const SRC = join(import.meta.dir, "..", "src");

test("no file under src/ imports, even type-only, something that imports it back", () => {
  const cycles = findCycles(importGraph(SRC)).map((c) => c.map((f) => relative(SRC, f)).join(" → "));
  expect(cycles).toEqual([]);
});

describe("the finder on planted files", () => {
  const dir = mkdtempSync(join(tmpdir(), "import-cycles-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const plant = (files: Record<string, string>) => {
    const root = mkdtempSync(join(dir, "case-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
    return root;
  };
  const circlesIn = (root: string) => findCycles(importGraph(root)).map((c) => c.map((f) => relative(root, f)));

  test("a circle closed by a multi-line `import type` is found, as a path back to its start", () => {
    const root = plant({
      "a.ts": `import { b } from "./b.ts";\nexport const a = b;`,
      "b.ts": `import { c } from "./c.ts";\nexport const b = c;`,
      "c.ts": `import type {\n  A,\n  B,\n} from "./a.ts";\nexport const c = 1;`,
    });
    expect(circlesIn(root)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
  });

  test("re-exports and dynamic imports are edges too; packages and a chain without return are not", () => {
    const root = plant({
      "a.ts": `export { b } from "./b.ts";\nimport { z } from "zod";`,
      "b.ts": `export const b = () => import("./a.ts");`,
      "c.ts": `import { a } from "./a.ts";`,
    });
    expect(circlesIn(root)).toEqual([["a.ts", "b.ts", "a.ts"]]);
  });

  test("a file importing itself is a circle", () => {
    expect(findCycles(new Map([["x", ["x"]], ["y", ["x"]]]))).toEqual([["x", "x"]]);
  });
});
