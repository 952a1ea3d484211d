#!/usr/bin/env node
// `npx idenfy-mock`: runs the idenfy-mock binary from the platform package
// that npm installed next to this one (an optional dependency per platform,
// as esbuild and biome ship theirs). Arguments, stdio, signals and the exit
// status pass straight through. IDENFY_MOCK_BINARY_PATH overrides the binary.
"use strict";

const { spawn } = require("node:child_process");

const platforms = {
  "linux x64": "@idenfy-mock/linux-x64",
  "linux arm64": "@idenfy-mock/linux-arm64",
  "darwin x64": "@idenfy-mock/darwin-x64",
  "darwin arm64": "@idenfy-mock/darwin-arm64",
  "win32 x64": "@idenfy-mock/win32-x64",
};

function binaryPath() {
  if (process.env.IDENFY_MOCK_BINARY_PATH) return process.env.IDENFY_MOCK_BINARY_PATH;
  const key = `${process.platform} ${process.arch}`;
  const pkg = platforms[key];
  if (!pkg) {
    console.error(`idenfy-mock: no prebuilt binary for ${key}; install it with \`cargo install --locked idenfy-mock\` and set IDENFY_MOCK_BINARY_PATH, or run the container image`);
    process.exit(1);
  }
  const exe = process.platform === "win32" ? "idenfy-mock.exe" : "idenfy-mock";
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    console.error(`idenfy-mock: the package ${pkg} is missing; it is an optional dependency of idenfy-mock, so reinstall without --no-optional / --omit=optional`);
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
