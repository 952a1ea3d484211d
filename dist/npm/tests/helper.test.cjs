// The helper through `require`, as a CommonJS test file does it.
"use strict";

const lib = require("idenfy-mock");
const cases = require("./cases.cjs");

cases(lib, "cjs");
