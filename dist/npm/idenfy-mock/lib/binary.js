// Where the idenfy-mock binary is: the platform package that npm installed
// next to this one (an optional dependency per platform, as esbuild and biome
// ship theirs). Used by bin/idenfy-mock.js (`npx idenfy-mock`) and by
// startIdenfyMock.
"use strict";

const platforms = {
  "linux x64": "@idenfy-mock/linux-x64",
  "linux arm64": "@idenfy-mock/linux-arm64",
  "darwin x64": "@idenfy-mock/darwin-x64",
  "darwin arm64": "@idenfy-mock/darwin-arm64",
  "win32 x64": "@idenfy-mock/win32-x64",
};

const exe = process.platform === "win32" ? "idenfy-mock.exe" : "idenfy-mock";

/**
 * The binary this package runs: IDENFY_MOCK_BINARY_PATH when set, else the
 * one in this platform's package. Throws an Error saying what is missing.
 */
function packagedBinary() {
  if (process.env.IDENFY_MOCK_BINARY_PATH) return process.env.IDENFY_MOCK_BINARY_PATH;
  const key = `${process.platform} ${process.arch}`;
  const pkg = platforms[key];
  if (!pkg) {
    throw new Error(
      `no prebuilt binary for ${key}; install it with \`cargo install --locked idenfy-mock\` and set IDENFY_MOCK_BINARY_PATH, or run the container image`,
    );
  }
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    throw new Error(
      `the package ${pkg} is missing; it is an optional dependency of idenfy-mock, so reinstall without --no-optional / --omit=optional`,
    );
  }
}

module.exports = { platforms, exe, packagedBinary };
