"""A corpus of cross-site scripting payloads and the browser-side spy that any of them would trip.

Every payload that could run calls `__xss(n)` (or alert/confirm/prompt); the spy records those calls, the
Content-Security-Policy's violations (an injected inline handler is blocked by it, and reported) and, from a
scan of the DOM, any element or attribute a payload would have made: an `on...` attribute, a `javascript:`
or `data:` URL, an iframe or object or form or the like that holds a payload's words. The text must show
exactly as typed.
"""

from __future__ import annotations

from playwright.sync_api import Page

PAYLOADS: tuple[str, ...] = (
    "<script>__xss(1)</script>",
    "<img src=x onerror=__xss(2)>",
    '<img src="x" onerror="__xss(3)">',
    "<svg onload=__xss(4)>",
    "<svg><script>__xss(5)</script></svg>",
    "<body onload=__xss(6)>",
    '<iframe src="javascript:top.__xss(7)"></iframe>',
    '<iframe srcdoc="<script>top.__xss(8)</script>"></iframe>',
    '<a href="javascript:__xss(9)">click</a>',
    "[click](javascript:__xss(10))",
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss(11)>",
    '"><img src=x onerror=__xss(12)>',
    "'><img src=x onerror=__xss(13)>",
    "</textarea><img src=x onerror=__xss(14)>",
    "</title><script>__xss(15)</script>",
    "<details open ontoggle=__xss(16)>",
    "<input autofocus onfocus=__xss(17)>",
    "<video><source onerror=__xss(18)></video>",
    "<audio src=x onerror=__xss(19)>",
    '<object data="javascript:__xss(20)"></object>',
    '<embed src="javascript:__xss(21)">',
    '<form action="javascript:__xss(22)"><button>go</button></form>',
    "<marquee onstart=__xss(23)>hi</marquee>",
    '<div style="background:url(javascript:__xss(24))">x</div>',
    '<style>@import "javascript:__xss(25)";</style>',
    '<link rel=stylesheet href="javascript:__xss(26)">',
    '<meta http-equiv="refresh" content="0;url=javascript:__xss(27)">',
    '<base href="javascript:__xss(28)//">',
    '{{constructor.constructor("__xss(29)")()}}',  # Vue's template syntax
    "${__xss(30)}",
    "{{ $el.ownerDocument.defaultView.__xss(31) }}",
    "<div v-html=\"'<img src=x onerror=__xss(32)>'\"></div>",
    '<img src=x :onerror="__xss(33)">',
    "&lt;img src=x onerror=__xss(34)&gt;",  # entities: shown as typed, never decoded into markup
    "&#60;script&#62;__xss(35)&#60;/script&#62;",
    "%3Cscript%3E__xss(36)%3C/script%3E",
    "\\u003cscript\\u003e__xss(37)\\u003c/script\\u003e",
    "<scr<script>ipt>__xss(38)</scr</script>ipt>",
    "<ScRiPt>__xss(39)</sCrIpT>",
    "<img src=x onerror=&#95;&#95;xss(40)>",
    "<img src=x onerror=\"\\u0061lert('xss41')\">",
    "\u202e<script>__xss(42)</script>\u202d",  # right-to-left override
    "gpj.exe\u202e__xss(43) \u200b\u200f",
    "<img src=x onerror=__xss(44)>" + "A" * 3000,  # a long one
    "<" * 1000 + "script>__xss(45)</script>",
    "javascript:__xss(46)",
    "data:text/html,<script>__xss(47)</script>",
    "<svg><animate onbegin=__xss(48) attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:__xss(49)"><text x=20 y=20>XSS</text></a></svg>',
    '<noscript><p title="</noscript><img src=x onerror=__xss(50)>">',
    '<table background="javascript:__xss(51)">',
    "<isindex type=image src=1 onerror=__xss(52)>",
    "<x contenteditable onblur=__xss(53)>lose focus!",
    "<img src=x onerror=__xss(54)//",
    '<!--<img src="--><img src=x onerror=__xss(55)//">',
    "<sVg/oNloAd=__xss(56)>",
    '"onmouseover="__xss(57)',
    "';__xss(58);//",
    "</script><script>__xss(59)</script>",
    "<img src=`x` onerror=`__xss(60)`>",
    '<a href="&#106;avascript:__xss(61)">entity scheme</a>',
    "<svg><style><img src=x onerror=__xss(62)></style></svg>",
)

SPY = """
window.__xss_hits = [];
window.__xss = (n) => { window.__xss_hits.push(String(n)); };
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (value) => { window.__xss_hits.push(name + ":" + value); };
}
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""

# What a payload would have made of the page, had it been parsed as markup. Scripts are left out (the page's
# own hold its elements as data; a payload's script that broke out would have run and called the spy).
SCAN = """() => {
  const found = [];
  const urls = ["href", "src", "action", "formaction", "data", "xlink:href", "background", "poster"];
  const made = new Set(["IFRAME", "OBJECT", "EMBED", "LINK", "META", "BASE", "MATH", "FORM", "MARQUEE",
    "DETAILS", "ISINDEX", "NOSCRIPT", "TABLE", "IMG", "VIDEO", "AUDIO", "SOURCE", "ANIMATE", "X", "SVG"]);
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith("on")) found.push(el.tagName + " " + a.name);
      const bound = a.name === "srcdoc" || a.name === "v-html" || a.name.startsWith(":");
      if (bound) found.push(el.tagName + " " + a.name);
      if (urls.includes(a.name) && /^\\s*(javascript|data|vbscript):/i.test(a.value)) {
        found.push(el.tagName + " " + a.name + "=" + a.value.slice(0, 40));
      }
    }
    if (made.has(el.tagName.toUpperCase()) && /xss/i.test(el.outerHTML)) found.push(el.tagName);
  }
  return found;
}"""


def assert_untouched(page: Page, where: str) -> None:
    """Nothing ran, nothing was blocked by the policy, and nothing a payload could make is in the page."""
    assert page.evaluate("window.__xss_hits") == [], where
    assert page.evaluate("window.__violations") == [], where
    assert page.evaluate(SCAN) == [], where


def texts(page: Page, selector: str) -> list[str]:
    """The exact text of every element matching `selector`, in page order."""
    return list(page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)"))
