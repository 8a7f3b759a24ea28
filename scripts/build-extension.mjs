#!/usr/bin/env node
/**
 * Build the browser extension: dist/rejoinder-chromium.zip and dist/rejoinder-firefox.zip.
 *
 * One source, two manifests: extension/manifest.base.json merged with
 * extension/manifest.<browser>.json (objects merge key by key, anything else — arrays
 * included — is replaced by the override). The archives are deterministic: files in sorted
 * order, fixed timestamps and permissions, so the same tree always gives the same bytes and
 * a reviewer (addons.mozilla.org asks for this) can rebuild and compare. No dependencies:
 * the zip writer below uses node:zlib.
 *
 *     node scripts/build-extension.mjs [outdir]
 */

import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { deflateRawSync } from "node:zlib";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SOURCE = join(ROOT, "extension");
export const BROWSERS = ["chromium", "firefox"];
// Sources of the build that are not part of the extension itself.
const EXCLUDED = [/^manifest\..*\.json$/, /^tools\//, /^README\.md$/, /(^|\/)\./];

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function merge(base, override) {
  const out = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = isObject(value) && isObject(base[key]) ? merge(base[key], value) : value;
  }
  return out;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** The manifest for one browser. */
export function buildManifest(browser, source = SOURCE) {
  if (!BROWSERS.includes(browser)) throw new Error(`unknown browser: ${browser}`);
  return merge(readJson(join(source, "manifest.base.json")), readJson(join(source, `manifest.${browser}.json`)));
}

/** The extension's files, as sorted forward-slash paths relative to `source`. */
export function extensionFiles(source = SOURCE) {
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(relative(source, path).split(sep).join("/"));
    }
  };
  walk(source);
  return found.filter((path) => !EXCLUDED.some((pattern) => pattern.test(path))).sort();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// 1980-01-01 00:00, the earliest DOS date: no build time leaks into the archive.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip archive of [name, bytes] entries, deflated, with fixed metadata. */
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    const compressed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralSize = centrals.reduce((size, part) => size + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** The archive for one browser: its manifest plus every extension file. */
export function buildArchive(browser, source = SOURCE) {
  const manifest = Buffer.from(`${JSON.stringify(buildManifest(browser, source), null, 2)}\n`, "utf8");
  const entries = [["manifest.json", manifest]];
  for (const path of extensionFiles(source)) entries.push([path, readFileSync(join(source, path))]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return zip(entries);
}

function main() {
  const outdir = process.argv[2] ?? join(ROOT, "dist");
  mkdirSync(outdir, { recursive: true });
  for (const browser of BROWSERS) {
    const path = join(outdir, `rejoinder-${browser}.zip`);
    writeFileSync(path, buildArchive(browser));
    console.log(`built ${relative(process.cwd(), path)}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
