/**
 * Turn the address of a web page into the key of its discussion: the JavaScript port of
 * src/rejoinder/pages/urlnorm.py, which explains the rules with examples. In short,
 *
 *     https://www.example.com/news/story/?utm_source=twitter&id=5#comments
 *     https://www.google.com/amp/s/example.com/news/story?id=5
 *
 * both have the key `example.com/news/story?id=5`: no scheme, no `www.`, no default port,
 * no trailing slash, index file or AMP suffix, no tracking or session parameters, the
 * query sorted by name, fragments dropped except `#!` routes.
 *
 * The extension computes keys in the reader's browser so that it can ask the server about
 * `sha256(key)[:4]` instead of sending the address (see extension/README.md). A key that
 * differs from the server's by one character is a different discussion, so this file
 * follows the Python code step by step, in the same order, and the vectors in
 * tests/vectors/url_keys.json are the contract. Where JavaScript differs from Python:
 * lengths are counted in code points, the query is handled as bytes (URLSearchParams would
 * replace invalid UTF-8), and lone surrogates become U+FFFD before anything else.
 *
 * Hosts: the WHATWG `URL` class does the IDNA mapping (UTS #46); idna.js adds the IDNA 2008
 * label checks the server makes, and the stricter rules (only letters, digits, "-", "_"
 * and dots; no credentials) are applied here as in Python.
 */

import { isValidAlabel } from "./idna.js";
import * as rules from "./url_rules.js";

export const MAX_URL_LENGTH = 2048;

// An AMP viewer URL wraps the original: unwrap a few layers, refuse deliberate nesting.
export const MAX_UNWRAP_DEPTH = 3;

const MESSAGES = {
  empty: "Enter the address of a page to discuss.",
  too_long: `Addresses longer than ${MAX_URL_LENGTH} characters can't be discussed.`,
  bad_scheme: "Only http and https addresses can be discussed.",
  credentials: "Addresses with a user name or password can't be discussed.",
  no_host: "The address has no site name.",
  bad_host: "The site name in the address is not valid.",
  bad_port: "The port number in the address is not valid.",
  malformed: "The address could not be understood.",
};

/** An address that cannot have a discussion; `reason` is the server's stable slug. */
export class UrlRejected extends Error {
  constructor(reason) {
    super(MESSAGES[reason]);
    this.name = "UrlRejected";
    this.reason = reason;
  }
}

// What Python's str.strip(_STRIP) removes: C0 controls, space, and what JS trim() strips.
const STRIP = new Set(
  "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" +
    "\u2028\u2029\u202f\u205f\u3000\ufeff",
);
for (let code = 0; code <= 0x20; code += 1) STRIP.add(String.fromCharCode(code));

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const DIGITS = /^[0-9]+$/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const HOST_CHARACTERS = /^[a-z0-9\-_.]*$/;
// ASCII a host may hold before IDNA mapping (mapping lowercases; everything else is refused).
const HOST_ASCII = /^[A-Za-z0-9\-_.]$/;
const PATH_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@";
const FRAGMENT_SAFE = PATH_SAFE + "/?";
// Query bytes kept as they are in a key: quote_plus's always-safe set plus _QUERY_SAFE.
const QUERY_SAFE = new Set(
  Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~!$'()*,/:;@?", (c) =>
    c.charCodeAt(0),
  ),
);
const QUERY_UNSAFE = "\"#<>'";
const SINGLE_DOT = new Set([".", "%2e"]);
const DOUBLE_DOT = new Set(["..", ".%2e", "%2e.", "%2e%2e"]);
const DEFAULT_PORTS = { http: 80, https: 443 };
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

const encoder = new TextEncoder();
// fatal: a host that is not UTF-8 is refused; ignoreBOM: keep U+FEFF as Python does.
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Return the discussion key for an address, e.g. `example.com/news/story?id=5`. */
export function urlKey(raw) {
  const key = buildKey(parse(raw, 0));
  checkLength(key);
  return key;
}

/** Return the address to link to: tracking, sessions and fragments removed. */
export function cleanUrl(raw) {
  const address = parse(raw, 0);
  checkLength(buildKey(address));
  const params = address.params.filter((p) => !isTracking(p, address.site)).map((p) => p.raw);
  const port =
    address.port === null || address.port === DEFAULT_PORTS[address.scheme] ? "" : `:${address.port}`;
  const url = `${address.scheme}://${address.host}${port}${address.path}` + suffix(params, address.hashbang);
  checkLength(url);
  return url;
}

/** The SHA-256 hex digest of a key, as the server's `key_digest`; looked up by its prefix. */
export async function keyDigest(key) {
  const hash = await globalThis.crypto.subtle.digest("SHA-256", encoder.encode(key));
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}

function codePointLength(text) {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

function checkLength(text) {
  if (codePointLength(text) > MAX_URL_LENGTH) throw new UrlRejected("too_long");
}

function suffix(params, hashbang) {
  const query = params.length ? `?${params.join("&")}` : "";
  return query + (hashbang ? `#!${hashbang}` : "");
}

function paramText(param) {
  // "a" and "a=" are the same parameter in form encoding.
  return param.value ? `${param.name}=${param.value}` : param.name;
}

// --- The key -------------------------------------------------------------------------------

function buildKey(address) {
  const path = stripPathTail(address.path);
  const [site, newPath, params] = applyIdAlias(address.site, path, address.params);
  const keep = rules.KEEP_ONLY_PARAMS.get(`${site} ${newPath}`);
  const kept = params.filter((p) => !isTracking(p, site) && (keep === undefined || keep.has(p.name)));
  // Array.prototype.sort is stable: repeated names keep their order. Names are ASCII.
  kept.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const port = address.port === null || address.port === 80 || address.port === 443 ? "" : `:${address.port}`;
  return `${site}${port}${newPath}` + suffix(kept.map(paramText), address.hashbang);
}

function stripPathTail(path) {
  const segments = path.slice(1).split("/");
  for (;;) {
    const last = segments[segments.length - 1];
    const lowered = last.toLowerCase();
    if (last === "" && segments.length > 1) {
      segments.pop();
    } else if (rules.INDEX_FILENAMES.has(lowered) || lowered === rules.AMP_PATH_SEGMENT) {
      segments[segments.length - 1] = "";
    } else if (lowered.endsWith(rules.AMP_FILE_SUFFIX) && last.length > rules.AMP_FILE_SUFFIX.length) {
      // Keep the ".html" as written: "Story.AMP.HTML" becomes "Story.HTML".
      segments[segments.length - 1] = last.slice(0, -rules.AMP_FILE_SUFFIX.length) + last.slice(-".html".length);
    } else {
      return "/" + segments.join("/");
    }
  }
}

function applyIdAlias(site, path, params) {
  for (const [host, prefix, newSite, newPath, name] of rules.ID_PATH_ALIASES) {
    const video = path.slice(prefix.length);
    if (site === host && path.startsWith(prefix) && isVideoId(video)) {
      const others = params.filter((p) => p.name !== name);
      return [newSite, newPath, [...others, { raw: "", name, value: video }]];
    }
  }
  return [site, path, params];
}

function isVideoId(text) {
  return text.length === rules.VIDEO_ID_LENGTH && rules.VIDEO_ID_PATTERN.test(text) && !rules.NOT_VIDEO_IDS.has(text);
}

function isTracking(param, site) {
  const name = param.name.toLowerCase();
  return (
    rules.TRACKING_PARAMS.has(name) ||
    rules.TRACKING_PARAM_PREFIXES.some((prefix) => name.startsWith(prefix)) ||
    rules.TRACKING_PARAM_VALUES.has(`${name}=${param.value.toLowerCase()}`) ||
    isSessionName(name) ||
    (rules.DROP_PARAMS_BY_HOST.get(site)?.has(name) ?? false)
  );
}

function isSessionName(raw) {
  const name = raw.toLowerCase();
  return rules.SESSION_PARAMS.has(name) || rules.SESSION_PARAM_PREFIXES.some((prefix) => name.startsWith(prefix));
}

// --- Parsing -------------------------------------------------------------------------------

function parse(raw, depth) {
  const text = prepare(raw);
  const [scheme, afterScheme] = splitScheme(text);
  let [rest, fragment] = partition(afterScheme.replace(/^[/\\]+/, ""), "#");
  let query;
  [rest, query] = partition(rest, "?");
  const ends = [rest.indexOf("/"), rest.indexOf("\\")].filter((i) => i >= 0);
  const end = ends.length ? Math.min(...ends) : rest.length;
  const [host, port] = parseAuthority(rest.slice(0, end));
  const path = normalizePath(rest.slice(end));
  const site = siteOf(host);
  const inner = unwrapAmp(site, path, query, fragment);
  if (inner !== null) {
    if (depth >= MAX_UNWRAP_DEPTH) throw new UrlRejected("malformed");
    return parse(inner, depth + 1);
  }
  let hashbang = null;
  if (fragment !== null && fragment.startsWith("!") && fragment.length > 1) {
    hashbang = normalizeEscapes(fragment.slice(1), FRAGMENT_SAFE);
  }
  return { scheme, host, site, port, path, params: parseQuery(query), hashbang };
}

function toWellFormed(text) {
  // Lone surrogates cannot be UTF-8 encoded; Python's side makes them U+FFFD too.
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i] + text[i + 1];
        i += 1;
        continue;
      }
      out += "\ufffd";
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      out += "\ufffd";
    } else {
      out += text[i];
    }
  }
  return out;
}

function prepare(raw) {
  const chars = Array.from(toWellFormed(String(raw)));
  let start = 0;
  let stop = chars.length;
  while (start < stop && STRIP.has(chars[start])) start += 1;
  while (stop > start && STRIP.has(chars[stop - 1])) stop -= 1;
  if (start === stop) throw new UrlRejected("empty");
  if (stop - start > MAX_URL_LENGTH) throw new UrlRejected("too_long");
  return chars.slice(start, stop).join("").replace(/[\t\n\r]/g, "");
}

function splitScheme(text) {
  const match = SCHEME.exec(text);
  // "example.com:8080/a" and "localhost:8080" look like a scheme but are a host and port.
  if (match && !match[0].includes(".") && !startsWithPort(text.slice(match[0].length))) {
    const scheme = match[0].slice(0, -1).toLowerCase();
    if (!Object.hasOwn(DEFAULT_PORTS, scheme)) throw new UrlRejected("bad_scheme");
    return [scheme, text.slice(match[0].length)];
  }
  if ((text[0] === "/" || text[0] === "\\") && text[1] !== "/" && text[1] !== "\\") {
    throw new UrlRejected("no_host"); // a bare path: "/news/story"
  }
  return ["http", text];
}

function startsWithPort(text) {
  const stop = text.search(/[/\\?#]/);
  const head = stop < 0 ? text : text.slice(0, stop);
  return DIGITS.test(head);
}

function partition(text, separator) {
  const index = text.indexOf(separator);
  return index < 0 ? [text, null] : [text.slice(0, index), text.slice(index + separator.length)];
}

function parseAuthority(authority) {
  if (authority.includes("@")) throw new UrlRejected("credentials");
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) throw new UrlRejected("bad_host");
    const host = parseIpv6(authority.slice(1, close));
    const tail = authority.slice(close + 1);
    if (tail && !tail.startsWith(":")) throw new UrlRejected("bad_host");
    return [host, parsePort(tail.slice(1))];
  }
  const [hostText, portText] = partition(authority, ":");
  if (!hostText) throw new UrlRejected("no_host");
  return [parseHost(hostText), parsePort(portText ?? "")];
}

function parsePort(text) {
  if (!text) return null;
  if (!DIGITS.test(text)) throw new UrlRejected("bad_port");
  const port = Number(text);
  if (port > 65535) throw new UrlRejected("bad_port");
  return port;
}

// --- Hosts ---------------------------------------------------------------------------------

function percentDecodeBytes(text) {
  // Python's unquote_to_bytes: UTF-8 encode, then turn every valid %XX into its byte.
  const bytes = encoder.encode(text);
  const out = [];
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === 0x25 && i + 2 < bytes.length && isHexByte(bytes[i + 1]) && isHexByte(bytes[i + 2])) {
      out.push(parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16));
      i += 2;
    } else {
      out.push(bytes[i]);
    }
  }
  return new Uint8Array(out);
}

function isHexByte(byte) {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

function parseHost(text) {
  let decoded;
  try {
    decoded = strictDecoder.decode(percentDecodeBytes(text));
  } catch {
    throw new UrlRejected("bad_host");
  }
  let host = domainToAscii(decoded);
  if (endsInNumber(host)) return parseIpv4(host);
  if (host.endsWith(".")) host = host.slice(0, -1);
  const labels = host.split(".");
  if (
    host.length > MAX_HOST_LENGTH ||
    !HOST_CHARACTERS.test(host) ||
    !labels.every((label) => label.length > 0 && label.length <= MAX_LABEL_LENGTH)
  ) {
    throw new UrlRejected("bad_host");
  }
  return host;
}

function isAscii(text) {
  return /^[\x00-\x7f]*$/.test(text);
}

function domainToAscii(domain) {
  const lowered = domain.toLowerCase();
  if (isAscii(domain) && !lowered.split(".").some((label) => label.startsWith("xn--"))) {
    return lowered; // the WHATWG fast path: nothing to map or check
  }
  // Any ASCII besides letters, digits, "-", "_" and "." ends in "bad_host" on the server
  // whatever the mapping does; refusing it first also keeps "%", "/", "@" or ":" from
  // changing how `URL` parses the string built below.
  for (const char of domain) {
    if (char.charCodeAt(0) < 0x80 && !HOST_ASCII.test(char)) throw new UrlRejected("bad_host");
  }
  const hostname = mapDomain(domain) ?? mapLabels(domain);
  if (hostname === null) throw new UrlRejected("bad_host");
  // The server validates every punycode label with IDNA 2008; browsers are more lenient.
  if (!hostname.split(".").every((label) => !label.startsWith("xn--") || isValidAlabel(label))) {
    throw new UrlRejected("bad_host");
  }
  return hostname;
}

function mapDomain(domain) {
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return null;
  }
}

// Chromium applies the Bidi Rule to every label of a domain with a right-to-left label
// ("1a.שלום.com" fails), the server only to the labels it converts. So when the whole
// domain fails, map it label by label, as the server does; the ".a" keeps a numeric label
// from being read as an IPv4 address. Labels are split at the four dots UTS #46 knows.
function mapLabels(domain) {
  const labels = domain.split(/[.\u3002\uff0e\uff61]/);
  const mapped = [];
  for (const label of labels) {
    if (label === "") {
      mapped.push("");
      continue;
    }
    const host = mapDomain(`${label}.a`);
    if (host === null || !host.endsWith(".a")) return null;
    mapped.push(host.slice(0, -2));
  }
  return mapped.join(".");
}

function siteOf(host) {
  // Strip alias prefixes ("www.m.example.com" -> "example.com"), keeping a dot.
  let site = host;
  let stripped = true;
  while (stripped) {
    stripped = false;
    for (const prefix of rules.ALIAS_HOST_PREFIXES) {
      if (site.startsWith(prefix) && site.slice(prefix.length).includes(".")) {
        site = site.slice(prefix.length);
        stripped = true;
      }
    }
  }
  return site;
}

function endsInNumber(host) {
  const parts = host.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  const last = parts[parts.length - 1];
  return last !== "" && (DIGITS.test(last) || ipv4Number(last) !== null);
}

function ipv4Number(part) {
  let digits = part;
  let pattern = /^[0-9]*$/;
  let prefix = "";
  if (part.startsWith("0x") || part.startsWith("0X")) {
    [digits, pattern, prefix] = [part.slice(2), /^[0-9A-Fa-f]*$/, "0x"];
  } else if (part.length > 1 && part[0] === "0") {
    [digits, pattern, prefix] = [part.slice(1), /^[0-7]*$/, "0o"];
  }
  if (!part || !pattern.test(digits)) return null;
  // BigInt: a part may have any number of digits and must still compare exactly.
  return digits ? BigInt(prefix + digits) : 0n;
}

function parseIpv4(host) {
  const parts = host.split(".");
  if (parts[parts.length - 1] === "") parts.pop();
  const numbers = parts.map(ipv4Number);
  if (numbers.length > 4 || numbers.includes(null)) throw new UrlRejected("bad_host");
  // Every part but the last is one byte; the last fills the bytes that remain.
  const last = numbers[numbers.length - 1];
  if (numbers.slice(0, -1).some((n) => n > 255n) || last >= 256n ** BigInt(5 - numbers.length)) {
    throw new UrlRejected("bad_host");
  }
  let address = last;
  numbers.slice(0, -1).forEach((n, i) => {
    address += n << BigInt(8 * (3 - i));
  });
  return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 255n)).join(".");
}

function parseIpv6(text) {
  // Python's ipaddress rules; "%zone" suffixes are refused, as WHATWG does.
  if (!text || !/^[0-9A-Fa-f:.]+$/.test(text)) throw new UrlRejected("bad_host");
  const groups = ipv6Groups(text);
  if (groups === null) throw new UrlRejected("bad_host");
  return `[${compressIpv6(groups)}]`;
}

function ipv6Groups(text) {
  const parts = text.split(":");
  if (parts.length < 3) return null;
  if (parts[parts.length - 1].includes(".")) {
    const octets = parts.pop().split(".");
    if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255)) {
      return null;
    }
    const [a, b, c, d] = octets.map(Number);
    parts.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  if (parts.length > 9) return null;
  let skip = null;
  for (let i = 1; i < parts.length - 1; i += 1) {
    if (!parts[i]) {
      if (skip !== null) return null;
      skip = i;
    }
  }
  let hi;
  let lo;
  let skipped;
  if (skip !== null) {
    hi = skip;
    lo = parts.length - skip - 1;
    if (!parts[0] && (hi -= 1) !== 0) return null;
    if (!parts[parts.length - 1] && (lo -= 1) !== 0) return null;
    skipped = 8 - (hi + lo);
    if (skipped < 1) return null;
  } else {
    if (parts.length !== 8 || !parts[0] || !parts[parts.length - 1]) return null;
    [hi, lo, skipped] = [parts.length, 0, 0];
  }
  const chosen = [...parts.slice(0, hi), ...Array(skipped).fill("0"), ...(lo ? parts.slice(-lo) : [])];
  if (!chosen.every((part) => /^[0-9A-Fa-f]{1,4}$/.test(part))) return null;
  return chosen.map((part) => parseInt(part, 16));
}

function compressIpv6(groups) {
  // Like WHATWG: lowercase hex, the first longest run of 2+ zero groups as "::".
  let bestStart = 0;
  let bestLength = 0;
  let start = 0;
  [...groups, 1].forEach((group, i) => {
    if (group !== 0) {
      if (i - start > bestLength) [bestStart, bestLength] = [start, i - start];
      start = i + 1;
    }
  });
  const hex = (list) => list.map((g) => g.toString(16)).join(":");
  if (bestLength < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

// --- Paths, queries and AMP wrappers -------------------------------------------------------

function normalizePath(raw) {
  const resolved = resolveDots(raw.replaceAll("\\", "/").split("/").slice(1));
  const segments = resolved.map((s) => stripSession(normalizeEscapes(s, PATH_SAFE)));
  // Again: removing ";jsessionid=1" from "..;jsessionid=1" leaves a dot segment.
  return "/" + resolveDots(segments).join("/");
}

function resolveDots(segments) {
  const resolved = [];
  segments.forEach((segment, i) => {
    const isLast = i === segments.length - 1;
    const lowered = segment.toLowerCase();
    if (DOUBLE_DOT.has(lowered)) {
      resolved.pop();
      if (isLast) resolved.push("");
    } else if (SINGLE_DOT.has(lowered)) {
      if (isLast) resolved.push("");
    } else {
      resolved.push(segment);
    }
  });
  return resolved;
}

function escapeBytes(char) {
  return Array.from(encoder.encode(char), (b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");
}

function normalizeEscapes(text, safe) {
  // Decode escaped unreserved characters, uppercase other escapes, escape the unsafe.
  let out = "";
  let i = 0;
  while (i < text.length) {
    const escape = text.slice(i + 1, i + 3);
    if (text[i] === "%" && HEX_PAIR.test(escape)) {
      const decoded = String.fromCharCode(parseInt(escape, 16));
      out += UNRESERVED.test(decoded) ? decoded : "%" + escape.toUpperCase();
      i += 3;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i));
    out += safe.includes(char) ? char : escapeBytes(char);
    i += char.length;
  }
  return out;
}

function stripSession(segment) {
  // Remove ";jsessionid=..." and other session path parameters from a segment.
  if (!segment.includes(";")) return segment;
  const [base, ...params] = segment.split(";");
  const kept = params.filter((p) => !isSessionName(partition(p, "=")[0]));
  return [base, ...kept].join(";");
}

function parseQuery(query) {
  const params = [];
  for (const piece of (query ?? "").split("&")) {
    const [name, value] = partition(piece, "=");
    const param = { raw: encodeQuery(piece), name: formEncode(name), value: formEncode(value ?? "") };
    if (param.name || param.value) params.push(param);
  }
  return params;
}

function formEncode(text) {
  // Canonical form encoding: "+" and "%20" are a space, "%2B" stays a plus.
  let out = "";
  for (const byte of percentDecodeBytes(text.replaceAll("+", " "))) {
    if (byte === 0x20) out += "+";
    else if (QUERY_SAFE.has(byte)) out += String.fromCharCode(byte);
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function encodeQuery(text) {
  // What a browser sends for the query as typed; cleanUrl does not re-encode further.
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0);
    out += QUERY_UNSAFE.includes(char) || !(code > 0x20 && code < 0x7f) ? escapeBytes(char) : char;
  }
  return out;
}

function unwrapAmp(site, path, query, fragment) {
  // google.com/amp/s/example.com/a and example-com.cdn.ampproject.org/c/s/example.com/a both
  // wrap https://example.com/a; without the "s/" the original is http.
  const [first, ...tail] = path.split("/").slice(1);
  let rest = tail;
  const isViewer = isAmpViewer(site) && first === "amp";
  const isCache =
    rules.AMP_CACHE_HOST_SUFFIXES.some((s) => site.endsWith(s)) && rules.AMP_CACHE_CONTENT_TYPES.has(first);
  if (!(isViewer || isCache)) return null;
  let scheme = "http";
  if (rest[0] === "s") [scheme, rest] = ["https", rest.slice(1)];
  if (!rest.length || !rest[0].includes(".")) return null; // "/amp/" alone, or no host next
  let inner = `${scheme}://${rest.join("/")}`;
  inner += query === null ? "" : `?${query}`;
  return inner + (fragment === null ? "" : `#${fragment}`);
}

function isAmpViewer(site) {
  const labels = site.split(".");
  if (labels[0] !== rules.AMP_VIEWER_HOST_LABEL) return false;
  return labels.length === 2 || (labels.length === 3 && rules.AMP_VIEWER_SECOND_LEVELS.has(labels[1]));
}
