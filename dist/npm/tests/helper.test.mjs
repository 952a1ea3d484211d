// The helper through `import`, as an ES module test file does it.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import * as lib from "idenfy-mock";
import { startIdenfyMock } from "idenfy-mock";
import cases from "./cases.cjs";

test("esm: `import` and `require` give the same module", () => {
  const required = createRequire(import.meta.url)("idenfy-mock");
  assert.equal(startIdenfyMock, required.startIdenfyMock);
  assert.equal(lib.default, required);
  assert.equal(typeof lib.connectIdenfyMock, "function");
});

cases(lib, "esm");
