import pytest
from tests.e2e.test_accessibility import _seed, _sign_in, _pages

pytestmark = pytest.mark.e2e

WIDE = """() => { const out = []; const w = window.innerWidth;
 for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
   const wr = el.closest('.app-table-scroll'); if (r.right > w + 1 && !el.closest('.leaflet-container')) out.push(el.tagName + '.' + el.className + ' pos=' + getComputedStyle(el).position + ' ' + Math.round(r.right) + ' ' + (wr ? getComputedStyle(wr).position + ' ' + getComputedStyle(wr).overflowX + ' wrapW=' + wr.getBoundingClientRect().width : 'nowrap')); }
 return out.filter(x => !x.includes('TD') && !x.includes('TH') && !x.includes('TR')).slice(0, 30); }"""

def test_wide(live_server, browser):
    ids = _seed(live_server.app)
    base = live_server.url
    for who, paths in (("officer@a11y.example", [f"/officer/statements/{ids['submitted']}"]),):
        ctx = browser.new_context(); page = ctx.new_page(); _sign_in(page, base, who)
        page.set_viewport_size({"width": 375, "height": 800})
        for p in paths:
            r = page.goto(base + p); page.wait_for_load_state("load")
            print("\n", p, r.status, page.evaluate(WIDE), page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]"))
            print(page.evaluate("""() => { const path = []; let node = document.querySelector('main > form');
  const full = () => document.documentElement.scrollWidth;
  while (node) { let next = null;
    for (const child of node.children) { const d = child.style.display; child.style.display = 'none'; const w = full(); child.style.display = d;
      if (w <= innerWidth) { next = child; break; } }
    if (!next) break; node = next; path.push(node.tagName + '.' + node.className + ' cs=' + getComputedStyle(node).display + ' w=' + Math.round(node.getBoundingClientRect().width) + ' sw=' + node.scrollWidth); }
  return path; }"""))
        ctx.close()
