"""The data behind URL normalization: which parts of an address never identify a page.

`urlnorm` holds the algorithm; this module holds only names, so that adding a tracking
parameter or a host rule is a one-line data change reviewed on its own. Every name here is
lowercase ASCII and compared with the lowercased (ASCII only) name found in the URL. The
browser extension's JavaScript port keeps a copy of these tables; the shared vectors in
`tests/vectors/url_keys.json` keep the two in step.

Deliberately *not* listed, because real sites use them to say which content to show:

- `ref`: GitHub and GitLab use `?ref=main` to pick a branch; other sites use it for ids.
- `sid`: phpBB puts a session there, but Slashdot-style CMSs use it as the story id.
- `si`: a generic short name; dropped only on hosts where it is known to be a share
  tracker (YouTube, Spotify), see `DROP_PARAMS_BY_HOST`.
- `list`, `t`, `index` on YouTube: dropped only from `/watch`, where `v` alone names the
  video (see `KEEP_ONLY_PARAMS`); `/playlist?list=...` keeps its `list`.
"""

# Query parameters added by ad networks, mail tools and share buttons. Sorted by origin.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # Google Ads / Analytics / Shopping
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "_ga",
        "_gl",
        "srsltid",
        # Meta, Microsoft, Yandex, X/Twitter, TikTok, LinkedIn, Pinterest, Instagram
        "fbclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "epik",
        "igshid",
        "igsh",
        "ref_src",
        "ref_url",
        # Mail and marketing automation: Mailchimp, HubSpot, Marketo, Vero, Klaviyo
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "__s",
        "mkt_tok",
        "vero_id",
        "vero_conv",
        "_kx",
        # Adobe, newspaper campaign ids, Alibaba, Outbrain/Olytics, Rakuten/Branch
        "s_cid",
        "cmpid",
        "ncid",
        "spm",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        # Matomo / Piwik campaign parameters (the "mtm_" family is a prefix below)
        "pk_campaign",
        "pk_kwd",
        "pk_source",
        "pk_medium",
        "pk_content",
        # Share buttons: WordPress' "?share=twitter" is the button's action, not a page.
        "share",
        # AMP: "?amp" / "?amp=1" asks for the AMP rendering of the same article, and the
        # Google AMP viewer appends its own state when it links to the original.
        "amp",
        "amp_js_v",
        "amp_gsa",
        "amp_ct",
        "amp_tf",
        "usqp",
    }
)

# Whole families of tracking parameters: utm_source, utm_medium, utm_whatever ...
TRACKING_PARAM_PREFIXES: tuple[str, ...] = ("utm_", "mtm_", "hsa_")

# Parameters that are tracking only with one value, as (name, value): Washington Post
# and others use "outputType=amp" for the AMP rendering, but other outputTypes are content.
TRACKING_PARAM_VALUES: frozenset[tuple[str, str]] = frozenset({("outputtype", "amp")})

# Server session ids, in the query or as ";name=value" path parameters. They are per
# visitor, so a page linked from two browsers would otherwise split into two discussions.
SESSION_PARAMS: frozenset[str] = frozenset({"jsessionid", "phpsessid", "cfid", "cftoken"})

# IIS appends a random suffix: ASPSESSIONIDQATCQCQA=...
SESSION_PARAM_PREFIXES: tuple[str, ...] = ("aspsessionid",)

# Host prefixes for the same site's mobile, AMP or "www" rendering. Only exactly these
# labels: "www2." or "en.m." are separate hosts that may serve different pages.
ALIAS_HOST_PREFIXES: tuple[str, ...] = ("www.", "m.", "mobile.", "amp.")

# Final path segments a web server serves for the directory itself (compared lowercased:
# IIS and many shared hosts ignore case, so "Default.aspx" is the same page).
INDEX_FILENAMES: frozenset[str] = frozenset(
    {"index.html", "index.htm", "index.php", "index.shtml", "default.aspx", "default.asp"}
)

# A trailing "/amp" path segment is the AMP rendering of the page before it.
AMP_PATH_SEGMENT = "amp"

# "story.amp.html" is the AMP rendering of "story.html" (a common CMS convention).
AMP_FILE_SUFFIX = ".amp.html"

# Google's AMP viewer: https://www.google.com/amp/s/example.com/path. The first label is
# "google"; what follows is a top-level domain, or "co."/"com." and a country code.
AMP_VIEWER_HOST_LABEL = "google"
AMP_VIEWER_SECOND_LEVELS: frozenset[str] = frozenset({"co", "com"})

# AMP caches: https://example-com.cdn.ampproject.org/c/s/example.com/path. The first path
# segment says what kind of resource it is: c = document, v = viewer, i = image.
AMP_CACHE_HOST_SUFFIXES: tuple[str, ...] = (".cdn.ampproject.org", ".bing-amp.com")
AMP_CACHE_CONTENT_TYPES: frozenset[str] = frozenset({"c", "v", "i"})

# Per-host tracking parameters that are legitimate content elsewhere.
DROP_PARAMS_BY_HOST: dict[str, frozenset[str]] = {
    "youtube.com": frozenset({"feature", "si", "pp", "ab_channel", "embeds_referring_euri"}),
    "youtu.be": frozenset({"feature", "si", "pp"}),
    "open.spotify.com": frozenset({"si"}),
}

# (host, path) -> the only query parameters that identify the page there. Only for the
# discussion key: clean_url keeps e.g. YouTube's "t=30" so the link still jumps to it.
KEEP_ONLY_PARAMS: dict[tuple[str, str], frozenset[str]] = {
    ("youtube.com", "/watch"): frozenset({"v"}),
    ("youtube.com", "/playlist"): frozenset({"list"}),
}

# Aliases where the path carries a video id: (host, path prefix) -> (host, path, param).
# "youtu.be/ID" and "youtube.com/shorts/ID" are both "youtube.com/watch?v=ID".
ID_PATH_ALIASES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("youtu.be", "/"): ("youtube.com", "/watch", "v"),
    ("youtube.com", "/shorts/"): ("youtube.com", "/watch", "v"),
    ("youtube.com", "/embed/"): ("youtube.com", "/watch", "v"),
    ("youtube.com", "/live/"): ("youtube.com", "/watch", "v"),
    ("youtube-nocookie.com", "/embed/"): ("youtube.com", "/watch", "v"),
}

# YouTube video ids are 11 characters of base64url; anything else after "/embed/" is not
# a video and keeps its own path. "videoseries" has the shape but embeds a playlist.
VIDEO_ID_LENGTH = 11
NOT_VIDEO_IDS: frozenset[str] = frozenset({"videoseries"})
VIDEO_ID_CHARACTERS: frozenset[str] = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)
