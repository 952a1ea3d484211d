// The ES module face of testcontainers.js.
import cjs from "./testcontainers.js";

export const { PORT, startIdenfyMockContainer } = cjs;
export default cjs;
