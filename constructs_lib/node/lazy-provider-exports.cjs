"use strict";
// drkit: load @cdktf/provider-aws resource modules on first use instead of all at once.
//
// jsii's kernel require()s the provider package when Python loads its assembly. The package's
// lib/index.js then require()s all ~2,135 resource modules eagerly ("exports.vpc =
// require('./vpc');"), which is ~3.5 s of JavaScript compilation for the few dozen modules a
// stack uses. Preloaded into the jsii Node process (NODE_OPTIONS=--require, set by
// constructs_lib/_bootstrap.py), this hook rewrites exactly those lines of exactly that file into
// getters that require the module the first time jsii resolves a type in it. Every other line,
// file and package is untouched; a line that does not match the pattern stays eager.
// Set DRKIT_EAGER_PROVIDER=1 to turn the hook off (the stock behaviour).

const fs = require("fs");
const Module = require("module");
const path = require("path");

const PACKAGE_NAME = "@cdktf/provider-aws";
const EAGER_EXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\("(\.\/[\w.-]+)"\);$/gm;

function isProviderIndex(filename) {
  if (path.basename(filename) !== "index.js" || path.basename(path.dirname(filename)) !== "lib") {
    return false;
  }
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(filename), "..", "package.json"), "utf8"));
    return manifest.name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

function lazyExports(source) {
  return source.replace(
    EAGER_EXPORT,
    (_line, name, request) =>
      `Object.defineProperty(exports, ${JSON.stringify(name)}, { configurable: true, enumerable: true, ` +
      `get() { const value = require(${JSON.stringify(request)}); ` +
      `Object.defineProperty(exports, ${JSON.stringify(name)}, { value, enumerable: true, writable: true }); return value; } });`,
  );
}

if (process.env.DRKIT_EAGER_PROVIDER !== "1") {
  const compile = Module.prototype._compile;
  Module.prototype._compile = function drkitCompile(content, filename) {
    return compile.call(this, isProviderIndex(filename) ? lazyExports(content) : content, filename);
  };
}

module.exports = { lazyExports, isProviderIndex };
