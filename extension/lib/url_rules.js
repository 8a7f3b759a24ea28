/**
 * The data behind URL normalization: a copy of src/rejoinder/pages/url_rules.py.
 *
 * Names only, no logic: which query parameters track readers, which host prefixes are
 * aliases, which paths carry a video id. Every name is lowercase ASCII. The reasons for
 * each entry (and for what is deliberately missing, such as `ref` and `sid`) are written
 * next to the Python original; the shared vectors in tests/vectors/url_keys.json keep the
 * two copies in step.
 */

export const TRACKING_PARAMS = new Set([
  // Google Ads / Analytics / Shopping
  "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "_ga", "_gl", "srsltid",
  // Meta, Microsoft, Yandex, X/Twitter, TikTok, LinkedIn, Pinterest, Instagram
  "fbclid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id", "epik", "igshid", "igsh",
  "ref_src", "ref_url",
  // Mail and marketing automation
  "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__s", "mkt_tok", "vero_id", "vero_conv", "_kx",
  // Adobe, newspaper campaign ids, Alibaba, Outbrain/Olytics, Rakuten/Branch
  "s_cid", "cmpid", "ncid", "spm", "oly_anon_id", "oly_enc_id", "rb_clickid",
  // Matomo / Piwik campaign parameters
  "pk_campaign", "pk_kwd", "pk_source", "pk_medium", "pk_content",
  // Share buttons
  "share",
  // AMP renderings and the Google AMP viewer's own state
  "amp", "amp_js_v", "amp_gsa", "amp_ct", "amp_tf", "usqp",
]);

export const TRACKING_PARAM_PREFIXES = ["utm_", "mtm_", "hsa_"];

// (name, value) pairs, joined with "=" for a Set lookup.
export const TRACKING_PARAM_VALUES = new Set(["outputtype=amp"]);

export const SESSION_PARAMS = new Set(["jsessionid", "phpsessid", "cfid", "cftoken"]);

export const SESSION_PARAM_PREFIXES = ["aspsessionid"];

export const ALIAS_HOST_PREFIXES = ["www.", "m.", "mobile.", "amp."];

export const INDEX_FILENAMES = new Set([
  "index.html", "index.htm", "index.php", "index.shtml", "default.aspx", "default.asp",
]);

export const AMP_PATH_SEGMENT = "amp";

export const AMP_FILE_SUFFIX = ".amp.html";

export const AMP_VIEWER_HOST_LABEL = "google";
export const AMP_VIEWER_SECOND_LEVELS = new Set(["co", "com"]);

export const AMP_CACHE_HOST_SUFFIXES = [".cdn.ampproject.org", ".bing-amp.com"];
export const AMP_CACHE_CONTENT_TYPES = new Set(["c", "v", "i"]);

export const DROP_PARAMS_BY_HOST = new Map([
  ["youtube.com", new Set(["feature", "si", "pp", "ab_channel", "embeds_referring_euri"])],
  ["youtu.be", new Set(["feature", "si", "pp"])],
  ["open.spotify.com", new Set(["si"])],
]);

// "host path" -> the only query parameters that identify the page there.
export const KEEP_ONLY_PARAMS = new Map([
  ["youtube.com /watch", new Set(["v"])],
  ["youtube.com /playlist", new Set(["list"])],
]);

// [host, path prefix, new host, new path, parameter], in the Python dict's order.
export const ID_PATH_ALIASES = [
  ["youtu.be", "/", "youtube.com", "/watch", "v"],
  ["youtube.com", "/shorts/", "youtube.com", "/watch", "v"],
  ["youtube.com", "/embed/", "youtube.com", "/watch", "v"],
  ["youtube.com", "/live/", "youtube.com", "/watch", "v"],
  ["youtube-nocookie.com", "/embed/", "youtube.com", "/watch", "v"],
];

export const VIDEO_ID_LENGTH = 11;
export const NOT_VIDEO_IDS = new Set(["videoseries"]);
export const VIDEO_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
