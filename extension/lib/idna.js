/**
 * Internationalized host names, as the server's `idna` package treats them.
 *
 * The browser's `URL` class does the UTS #46 mapping (case folding, fullwidth forms,
 * ignored characters) and the punycode encoding; `toAscii` hands it the decoded host and
 * takes the ASCII result. The server is stricter than browsers in one way: every label that
 * is or becomes punycode must also be a valid IDNA 2008 label (RFC 5891/5892): no leading
 * or trailing hyphen, no "--" in the third and fourth place, no leading combining mark,
 * only code points the RFC 5892 derivation calls PVALID (so no emoji, symbols or "_"), and
 * CONTEXTO code points only in their context. `checkAlabel` decodes each such label and
 * applies those rules, so a host the server refuses is refused here too.
 *
 * The RFC 5892 categories are derived from Unicode properties with regular expressions
 * (`\p{...}`). The Bidi Rule (RFC 5893) needs each code point's bidirectional class, which
 * regular expressions cannot name, so bidi_data.js carries the server's table; browsers
 * apply the Bidi Rule too, but not all of them (Node's URL does not), and they apply it to
 * every label of a domain where the server checks only the punycode labels. The joiner
 * rules (CONTEXTJ) are left to the browser's UTS #46 processing.
 */

import { BIDI_RANGES } from "./bidi_data.js";

// --- Punycode (RFC 3492): decoding to validate, encoding to insist on the canonical form ----

const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 128;
const MAX_CODE_POINT = 0x10ffff;

function adapt(delta, numPoints, firstTime) {
  let d = firstTime ? Math.floor(delta / DAMP) : delta >> 1;
  d += Math.floor(d / numPoints);
  let k = 0;
  while (d > ((BASE - T_MIN) * T_MAX) >> 1) {
    d = Math.floor(d / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * d) / (d + SKEW));
}

function digitValue(char) {
  const code = char.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 22; // "0".."9" are 26..35
  if (code >= 0x61 && code <= 0x7a) return code - 0x61; // "a".."z" are 0..25
  return -1;
}

function digitChar(value) {
  return String.fromCharCode(value < 26 ? value + 0x61 : value + 22);
}

/** Decode the part of an A-label after "xn--"; null when it is not valid punycode. */
export function punycodeDecode(input) {
  const end = input.lastIndexOf("-");
  const output = [];
  for (const char of end > 0 ? input.slice(0, end) : "") {
    if (char.charCodeAt(0) >= 0x80) return null;
    output.push(char.codePointAt(0));
  }
  let n = INITIAL_N;
  let i = 0;
  let bias = INITIAL_BIAS;
  let pos = end > 0 ? end + 1 : 0;
  while (pos < input.length) {
    const oldI = i;
    let w = 1;
    for (let k = BASE; ; k += BASE) {
      if (pos >= input.length) return null;
      const digit = digitValue(input[pos++]);
      if (digit < 0) return null;
      i += digit * w;
      if (i > MAX_CODE_POINT * (output.length + 1) + MAX_CODE_POINT) return null;
      const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
      if (digit < t) break;
      w *= BASE - t;
    }
    bias = adapt(i - oldI, output.length + 1, oldI === 0);
    n += Math.floor(i / (output.length + 1));
    i %= output.length + 1;
    if (n > MAX_CODE_POINT) return null;
    output.splice(i, 0, n);
    i += 1;
  }
  return String.fromCodePoint(...output);
}

/** Encode a label's code points as punycode (without "xn--"). */
export function punycodeEncode(label) {
  const input = Array.from(label, (char) => char.codePointAt(0));
  let output = input.filter((cp) => cp < 0x80).map((cp) => String.fromCharCode(cp)).join("");
  const basic = output.length;
  let handled = basic;
  if (basic > 0) output += "-";
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (handled < input.length) {
    const m = Math.min(...input.filter((cp) => cp >= n));
    delta += (m - n) * (handled + 1);
    n = m;
    for (const cp of input) {
      if (cp < n) delta += 1;
      if (cp !== n) continue;
      let q = delta;
      for (let k = BASE; ; k += BASE) {
        const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
        if (q < t) break;
        output += digitChar(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      output += digitChar(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      handled += 1;
    }
    delta += 1;
    n += 1;
  }
  return output;
}

// --- RFC 5892 code point categories --------------------------------------------------------

const EXCEPTIONS_PVALID = new Set([0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]);
const EXCEPTIONS_DISALLOWED = new Set([
  0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b,
]);
const CONTEXTO_SINGLES = new Set([0x00b7, 0x0375, 0x05f3, 0x05f4, 0x30fb]);
const UNASSIGNED = /^\p{Cn}$/u;
const UNSTABLE = /^\p{Changes_When_NFKC_Casefolded}$/u;
const IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{White_Space}\p{Noncharacter_Code_Point}]$/u;
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const MARK = /^\p{M}/u;
const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const KANA_OR_HAN = /^[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]$/u;

function isArabicIndicDigit(cp) {
  return cp >= 0x0660 && cp <= 0x0669;
}

function isExtendedArabicIndicDigit(cp) {
  return cp >= 0x06f0 && cp <= 0x06f9;
}

function isOldHangulJamo(cp) {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff)
  );
}

function isIgnorableBlock(cp) {
  // Combining Diacritical Marks for Symbols, Musical Symbols, Ancient Greek Musical Notation.
  return (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0x1d100 && cp <= 0x1d24f);
}

/** "PVALID", "CONTEXTJ", "CONTEXTO" or "DISALLOWED", in RFC 5892 section 3's order. */
export function category(cp) {
  if (EXCEPTIONS_PVALID.has(cp)) return "PVALID";
  if (CONTEXTO_SINGLES.has(cp) || isArabicIndicDigit(cp) || isExtendedArabicIndicDigit(cp)) {
    return "CONTEXTO";
  }
  if (EXCEPTIONS_DISALLOWED.has(cp)) return "DISALLOWED";
  const char = String.fromCodePoint(cp);
  if (UNASSIGNED.test(char)) return "DISALLOWED";
  if (cp === 0x2d || (cp >= 0x30 && cp <= 0x39) || (cp >= 0x61 && cp <= 0x7a)) return "PVALID";
  if (cp === 0x200c || cp === 0x200d) return "CONTEXTJ";
  if (isOldHangulJamo(cp) || UNSTABLE.test(char) || IGNORABLE.test(char)) return "DISALLOWED";
  if (isIgnorableBlock(cp)) return "DISALLOWED";
  return LETTER_DIGITS.test(char) ? "PVALID" : "DISALLOWED";
}

function contextOk(chars, pos) {
  const cp = chars[pos].codePointAt(0);
  const before = chars[pos - 1];
  const after = chars[pos + 1];
  if (cp === 0x00b7) return before === "l" && after === "l";
  if (cp === 0x0375) return after !== undefined && GREEK.test(after);
  if (cp === 0x05f3 || cp === 0x05f4) return before !== undefined && HEBREW.test(before);
  if (cp === 0x30fb) return chars.some((c) => c !== "\u30fb" && KANA_OR_HAN.test(c));
  const codes = chars.map((c) => c.codePointAt(0));
  if (isArabicIndicDigit(cp)) return !codes.some(isExtendedArabicIndicDigit);
  if (isExtendedArabicIndicDigit(cp)) return !codes.some(isArabicIndicDigit);
  return false;
}

// --- RFC 5893 Bidi Rule ---------------------------------------------------------------------

const BIDI_TABLE = BIDI_RANGES.split(";").map((entry) => {
  const [start, end, kind] = entry.split(",");
  return [parseInt(start, 16), parseInt(end, 16), kind];
});

/** The bidi class the server sees: "L", "R" (R or AL), "AN", "EN", "NSM", ... or "?". */
export function bidiClass(cp) {
  let low = 0;
  let high = BIDI_TABLE.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const [start, end, kind] = BIDI_TABLE[mid];
    if (cp < start) high = mid - 1;
    else if (cp > end) low = mid + 1;
    else return kind;
  }
  return "L";
}

const RTL_ALLOWED = new Set(["R", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"]);
const LTR_ALLOWED = new Set(["L", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"]);

/** RFC 5893 for one label, applied only to labels with right-to-left characters (as idna). */
export function passesBidiRule(chars) {
  const classes = chars.map((char) => bidiClass(char.codePointAt(0)));
  if (classes.includes("?")) return false; // unknown to the server's Unicode: it refuses
  if (!classes.some((kind) => kind === "R" || kind === "AN")) return true;
  const rtl = classes[0] === "R";
  if (!rtl && classes[0] !== "L") return false;
  if (!classes.every((kind) => (rtl ? RTL_ALLOWED : LTR_ALLOWED).has(kind))) return false;
  if (rtl && classes.includes("AN") && classes.includes("EN")) return false;
  const last = classes.filter((kind) => kind !== "NSM").at(-1);
  return rtl ? ["R", "EN", "AN"].includes(last) : ["L", "EN"].includes(last);
}

/** Whether a U-label passes the IDNA 2008 checks the server applies (idna.check_label). */
export function isValidUlabel(label) {
  const chars = Array.from(label);
  if (chars.length === 0 || label.normalize("NFC") !== label) return false;
  if (chars.slice(2, 4).join("") === "--" || label.startsWith("-") || label.endsWith("-")) {
    return false;
  }
  if (MARK.test(label)) return false;
  const valid = chars.every((char, pos) => {
    const kind = category(char.codePointAt(0));
    // CONTEXTJ (the joiners) was checked by the browser's UTS #46 processing.
    return kind === "PVALID" || kind === "CONTEXTJ" || (kind === "CONTEXTO" && contextOk(chars, pos));
  });
  return valid && passesBidiRule(chars);
}

/** Whether an ASCII "xn--" label is canonical punycode of a valid U-label (idna.ulabel). */
export function isValidAlabel(label) {
  const rest = label.toLowerCase().slice(4);
  if (!rest || rest.endsWith("-")) return false;
  const decoded = punycodeDecode(rest);
  return decoded !== null && punycodeEncode(decoded) === rest && isValidUlabel(decoded);
}
