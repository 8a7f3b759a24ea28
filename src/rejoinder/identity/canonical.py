"""What a fetched page's canonical URL may do to its discussion: the policy, as pure code.

An article names its preferred address with ``<link rel=canonical>``, ``og:url``, or (an
AMP page) the canonical link back to the original. Trusting that blindly would let any page
pull another site's discussion into its own, so (docs/url-identity.md has the reasons):

- The declared URL is resolved against the final URL of the fetch (a relative canonical is
  relative to where the page really was), then reduced to its key by `urlnorm`.
- ``<link rel=canonical>`` and ``og:url`` naming different keys: the page contradicts
  itself, and we trust neither.
- A canonical naming the site's home page (key ``host/``) from a deeper page is a CMS
  template bug, not a claim: ignored.
- Same site: the page's key, the fetch's final URL and the canonical all have the same
  `site` (registrable domain from the Public Suffix List, private section included, plus
  the port). The canonical key joins the page's keys, or, when it already leads to another
  discussion, becomes a merge suggestion for moderators.
- Across sites: only when the target confirms it, fetched in turn: its own canonical names
  itself and its text is the same article (fingerprints at or above the threshold).
  Otherwise the canonical is kept as a link and nothing merges.

`decide` makes every decision that needs no network; the fetch runner does the
confirmation fetch (`needs_confirmation`) outside any transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tld import get_fld

from rejoinder.pages.metadata import PageMetadata
from rejoinder.pages.urlnorm import UrlRejected, clean_url, key_digest, url_key


class Verdict(enum.StrEnum):
    NONE = "none"  # no canonical, or it is the page's own key
    SAME_SITE = "same_site"  # trusted: becomes a key of the page (or a suggestion)
    CROSS_SITE = "cross_site"  # trusted only once the target confirms
    HOME_PAGE = "home_page"  # ignored: a deeper page naming the home page
    CONFLICT = "conflict"  # ignored: rel=canonical and og:url disagree
    INVALID = "invalid"  # ignored: not a URL we can key


@dataclass(frozen=True, slots=True)
class Claim:
    """A canonical the page declared, keyed."""

    url: str
    key: str

    @property
    def digest(self) -> str:
        return key_digest(self.key)


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    claim: Claim | None = None
    # Further same-site keys the page names for itself (its AMP version).
    extra_keys: tuple[Claim, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        return self.verdict is Verdict.CROSS_SITE


def _claim(url: str | None) -> Claim | None:
    if not url:
        return None
    try:
        return Claim(url=clean_url(url), key=url_key(url))
    except UrlRejected:
        return None


def _host_port(key: str) -> tuple[str, str]:
    authority = key.split("/", 1)[0]
    if authority.startswith("["):  # IPv6: [::1]:8080
        host, _, rest = authority[1:].partition("]")
        return host, rest.removeprefix(":")
    host, _, port = authority.partition(":")
    return host, port


def site(key: str) -> str:
    """The registrable domain of a key's host (``news.example.co.uk`` -> ``example.co.uk``)
    with its port; an address or a name outside the suffix list is its own site."""
    host, port = _host_port(key)
    domain = get_fld(host, fix_protocol=True, fail_silently=True, search_private=True)
    return f"{domain or host}:{port}"


def is_home_page(key: str) -> bool:
    return key.endswith("/") and key.count("/") == 1


def decide(page_key: str, final_url: str, metadata: PageMetadata) -> Decision:
    """The policy's verdict on the canonical URLs of a page fetched at ``final_url``."""
    canonical = metadata.canonical_url
    og_url = metadata.og_url
    declared = [url for url in (canonical, og_url) if url]
    if not declared:
        return Decision(Verdict.NONE, extra_keys=_amp_keys(page_key, metadata))
    claims = [_claim(url) for url in declared]
    if any(claim is None for claim in claims):
        return Decision(Verdict.INVALID)
    keys = {claim.key for claim in claims if claim is not None}
    if len(keys) > 1:
        return Decision(Verdict.CONFLICT)
    claim = claims[0]
    assert claim is not None
    extra = _amp_keys(page_key, metadata)
    if claim.key == page_key:
        return Decision(Verdict.NONE, extra_keys=extra)
    if is_home_page(claim.key) and not is_home_page(page_key):
        return Decision(Verdict.HOME_PAGE, claim)
    final_key = _claim(final_url)
    same = final_key is not None and site(page_key) == site(final_key.key) == site(claim.key)
    return Decision(Verdict.SAME_SITE if same else Verdict.CROSS_SITE, claim, extra)


def _amp_keys(page_key: str, metadata: PageMetadata) -> tuple[Claim, ...]:
    # The AMP rendering of this article, on this site; most AMP URLs already share the key.
    amp = _claim(metadata.amphtml_url)
    if amp is None or amp.key == page_key or site(amp.key) != site(page_key):
        return ()
    if is_home_page(amp.key) and not is_home_page(page_key):
        return ()
    return (amp,)


def confirms(target_key: str, target_final_url: str, target: PageMetadata) -> bool:
    """The target, fetched, is where the claim said and names itself as canonical."""
    final = _claim(target_final_url)
    if final is None or final.key != target_key:
        return False
    own = [_claim(url) for url in (target.canonical_url, target.og_url) if url]
    return bool(own) and all(claim is not None and claim.key == target_key for claim in own)
