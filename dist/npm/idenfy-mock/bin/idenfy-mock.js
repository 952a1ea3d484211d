#!/usr/bin/env node
// `npx idenfy-mock`: runs the idenfy-mock binary from the platform package
// that npm installed next to this one (lib/binary.js finds it). Arguments,
// stdio, signals and the exit status pass straight through.
// IDENFY_MOCK_BINARY_PATH overrides the binary.
"use strict";

const { spawn } = require("node:child_process");
const { packagedBinary } = require("../lib/binary.js");

function binaryPath() {
  try {
    return packagedBinary();
  } catch (err) {
    console.error(`idenfy-mock: ${err.message}`);
    process.exit(1);
  }
}

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
// npx (npm 9.6 and later) does not forward a SIGTERM sent to it: it exits
// 143 and leaves this launcher and the binary running, reparented. So when our
// parent changes, stop the binary as if the signal had reached us.
const parent = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid !== parent && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
  }
}, 200);
orphanWatch.unref();
child.on("error", (err) => {
  console.error(`idenfy-mock: cannot start the binary: ${err.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    // End the same way the binary did, so callers see the signal.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code === null ? 1 : code);
  }
});
