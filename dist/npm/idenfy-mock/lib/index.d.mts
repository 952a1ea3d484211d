// The ES module face of index.d.ts.
export * from "./index.js";
import * as cjs from "./index.js";
export default cjs;
