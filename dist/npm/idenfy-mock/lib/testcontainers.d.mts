// The ES module face of testcontainers.d.ts.
export * from "./testcontainers.js";
import * as cjs from "./testcontainers.js";
export default cjs;
