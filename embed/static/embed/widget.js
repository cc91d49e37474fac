/* Facility Directory widget: data-resource, -lang, -limit, -theme, -<API filter> (README:
 * Embedding). Words, dates, colours: embed/words.py, dates.py, themes.py. ES2017, no build. */
(function () {
"use strict";

var RESOURCES = {
  facilities: "kind_label,status_label,display_city,city_ja,country_name",
  programmes: "kind_label,status_label,countries",
  calls: "call_url,programme,status,status_label,opens_on,closes_at_local,deadline_timezone",
};
var RESERVED = ["resource", "lang", "limit", "theme", "fields", "format", "offset"];
// embed/words.py script_words(lang), as JSON.
var TEXT = {
"en": {"facilities": "Research facilities", "programmes": "Funding programmes",
"calls": "Calls for proposals", "loading": "Loading…", "empty": "No records match these filters.",
"unreachable": "The directory could not be reached.", "deadline": "Deadline: {date}",
"opens": "Opens: {date}", "programme": "Programme: {name}", "credit": "Data from {provider}",
"updated": "updated {date}", "new_tab": "(opens in a new tab)",
"error_title": "This widget cannot be shown",
"error_attributes": "Please correct these attributes:"},
"ja": {"facilities": "研究施設", "programmes": "資金・利用制度", "calls": "公募",
"loading": "読み込み中…", "empty": "条件に合う記録はありません。",
"unreachable": "ディレクトリに接続できませんでした。", "deadline": "締切：{date}",
"opens": "受付開始：{date}", "programme": "制度：{name}", "credit": "データ提供：{provider}",
"updated": "更新：{date}", "new_tab": "（新しいタブで開きます）",
"error_title": "このウィジェットは表示できません",
"error_attributes": "次の属性を修正してください："}
};
var MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");

// embed/themes.py: bg fg muted link border focus, then open, upcoming, closed (fg bg).
var THEMES = {
  light: "#ffffff #1b1d21 #4b5260 #0a55c8 #8a919e #0a55c8 #0d5f2a #dff3e5 #6e4200 #fdefd2 #454b57 #e6e8ec",
  dark: "#15171a #eceff3 #b7bfcb #8fb8ff #6f7784 #8fb8ff #93e0aa #173524 #f5cf72 #3a2d0f #c9ced7 #2c3037",
};
var VARS = "bg fg muted accent border focus ok okb up upb cl clb".split(" ");
// As CSS variables: the page's --fd-* values win.
function palette(name) {
  return THEMES[name].split(" ").map(function (c, i) {
    return "--" + VARS[i] + ":" + (i < 6 ? "var(--fd-" + VARS[i] + "," + c + ")" : c);
  }).join(";");
}
var CSS =
  ":host{all:initial;display:block;margin:8px 0}" +
  ".fd{" + palette("light") + ";background:var(--bg);color:var(--fg);border:1px solid var(--border);" +
  "border-radius:var(--fd-radius,8px);padding:12px 16px;" +
  "font:400 var(--fd-size,15px)/1.5 var(--fd-font,system-ui,-apple-system,'Segoe UI'," +
  "'Hiragino Sans','Noto Sans CJK JP','Noto Sans JP',sans-serif)}" +
  ".fd.dark{" + palette("dark") + "}" +
  "h2{font-size:1.15em;margin:0 0 8px}ul{list-style:none;margin:0;padding:0}" +
  "li{padding:8px 0;border-top:1px solid var(--border)}li:first-child,.error li{border:0}" +
  "a{color:var(--accent);text-underline-offset:2px}" +
  "a:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:2px}" +
  ".meta,.note,.credit{display:block;color:var(--muted);font-size:.875em;margin:8px 0 0}" +
  ".meta{margin:0}.error{color:var(--fg)}" +
  ".st{display:inline-block;padding:0 6px;margin-inline-start:6px;border-radius:4px;" +
  "font-size:.8em;font-weight:600;color:var(--cl);background:var(--clb)}" +
  ".st.open{color:var(--ok);background:var(--okb)}" +
  ".st.upcoming{color:var(--up);background:var(--upb)}" +
  ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}";

var DONE = "__fdWidget";

// Text always goes in as textContent, never as HTML.
function el(tag, className, text, lang) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  if (lang) node.lang = lang;
  return node;
}

function add(parent) {
  for (var i = 1; i < arguments.length; i++) {
    var c = arguments[i];
    parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return parent;
}

function link(href, text) {
  var a = el("a", "", text);
  if (/^https?:\/\//i.test(href || "")) a.href = href;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}

// embed/dates.py: 31 Jan 2027 | 2027年1月31日; deadline at the funder's local time.
function day(iso, ja) {
  var y = +iso.slice(0, 4), m = +iso.slice(5, 7), d = +iso.slice(8, 10);
  return ja ? y + "年" + m + "月" + d + "日" : d + " " + MONTHS[m - 1] + " " + y;
}

function deadline(r, ja) {
  var at = r.closes_at_local, hm = at.slice(11, 16), zone = r.deadline_timezone;
  return day(at, ja) + (ja ? " " + hm + "（" + zone + "）" : ", " + hm + " (" + zone + ")");
}

function time(iso, text) {
  var node = el("time", "", text);
  node.dateTime = iso;
  return node;
}

function fill(pattern, node) {
  return add(el("span"), pattern.slice(0, pattern.indexOf("{")), node,
    pattern.slice(pattern.indexOf("}") + 1));
}

function query(pairs) {
  return new URLSearchParams(pairs).toString();
}

// As the iframe widget: name, status; facts; deadline.
function item(r, t, ja) {
  var facts = [], line = el("span", "meta"), li = el("li");
  var a = link(r.call_url || r.website || r.url);
  // An English name stands in when there is no Japanese one.
  add(li, add(a, el("span", "", r.display_name, ja && !r.name_ja && "en"), el("span", "vh", " " + t.new_tab)));
  if (r.programme) {
    add(li, el("span", "st " + r.status, r.status_label));
    facts.push(fill(t.programme, el("span", "", r.programme.display_name)));
    if (r.status === "upcoming" && r.opens_on) {
      facts.push(fill(t.opens, time(r.opens_on, day(r.opens_on, ja))));
    }
  } else {
    var where = r.country_name || (r.countries || []).map(function (c) {
      return c.display_name;
    }).join(", ");
    var place = el("span");
    if (r.display_city) add(place, el("span", "", r.display_city, ja && !r.city_ja && "en"), where && ", ");
    facts = [el("span", "", r.kind_label), el("span", "", r.status_label), add(place, where)];
  }
  facts.forEach(function (fact, i) {
    if (fact.textContent) add(line, line.firstChild ? " · " : "", fact);
  });
  add(li, line);
  if (r.closes_at_local) {
    add(li, add(el("span", "meta"), fill(t.deadline, time(r.closes_at_local, deadline(r, ja)))));
  }
  return li;
}

// The API's own 4xx messages, by attribute.
function refusal(status, data, t) {
  var list = el("ul");
  status.className = "note error";
  status.textContent = "";
  add(status, el("strong", "", t.error_title), el("span", "meta", t.error_attributes), list);
  Object.keys(data).forEach(function (name) {
    var label = name === "detail" ? "" : "data-" + name.replace(/_/g, "-") + ": ";
    [].concat(data[name]).forEach(function (message) { add(list, el("li", "", label + message)); });
  });
}

function render(script) {
  script[DONE] = true;
  var attr = function (name) { return script.getAttribute("data-" + name); };
  var resource = attr("resource") || "facilities", filters = [];
  var lang = attr("lang") === "ja" ? "ja" : "en", ja = lang === "ja", t = TEXT[lang];
  var limit = parseInt(attr("limit"), 10);
  limit = Math.min(Math.max(isNaN(limit) ? 10 : limit, 1), 50);
  [].forEach.call(script.attributes, function (a) {
    var name = a.name.slice(5).replace(/-/g, "_");
    if (a.name.indexOf("data-") === 0 && RESERVED.indexOf(name) < 0) filters.push([name, a.value]);
  });

  var host = el("fd-embed");
  var parent = script.parentNode === document.head ? document.body : script.parentNode;
  parent.insertBefore(host, parent === script.parentNode ? script.nextSibling : null);
  var box = el("div", attr("theme") === "dark" ? "fd dark" : "fd", null, lang);
  var status = el("div", "note", t.loading);
  status.setAttribute("role", "status");
  add(box, el("h2", "", RESOURCES[resource] ? t[resource] : "Facility Directory"), status);
  add(host.attachShadow({ mode: "open" }), el("style", "", CSS), box);

  var origin = new URL(script.src, document.baseURI).origin;
  var listUrl = origin + "/api/v1/" + resource + "/?" + query(filters.concat([["lang", lang]]));
  var provider = el("span", "", "Facility Directory", "en");
  var credit = add(el("p", "credit"), add(link(listUrl), fill(t.credit, provider)));
  add(box, credit);
  var fields = "url,name_ja,display_name,website," + (RESOURCES[resource] || "");
  var url = listUrl + "&" + query([["limit", limit], ["fields", fields]]);
  var control = typeof AbortController === "function" ? new AbortController() : null;
  var timer = control && setTimeout(function () { control.abort(); }, 15000);
  var response;
  var options = { mode: "cors", credentials: "omit", headers: { Accept: "application/json" } };
  if (control) options.signal = control.signal;
  return fetch(url, options)
    .then(function (answer) {
      response = answer;
      return answer.json();
    })
    .then(function (data) {
      var code = response.status;
      if (code >= 400 && code < 500 && data && typeof data === "object") {
        return refusal(status, data, t);
      }
      if (!response.ok) throw new Error("HTTP " + code);
      var list = el("ul");
      (data.results || []).forEach(function (r) { add(list, item(r, t, ja)); });
      if (list.firstChild) box.replaceChild(list, status);
      else status.textContent = t.empty;
      var modified = response.headers.get("Last-Modified");
      if (modified) {
        var iso = new Date(modified).toISOString().slice(0, 10);
        add(credit, " · ", fill(t.updated, time(iso, day(iso, ja))));
      }
    })
    .catch(function (error) {
      status.textContent = t.unreachable;
      status.className = "note error";
      console.warn("Facility Directory widget:", url, String(error));
    })
    .then(function () { clearTimeout(timer); });
}

// This tag, then any not rendered yet (async copies race).
[document.currentScript].concat([].slice.call(document.querySelectorAll("script[src]")))
  .forEach(function (s) {
    if (s && !s[DONE] && s.parentNode && /\/embed\/widget\.js(\?|#|$)/.test(s.src)) render(s);
  });
})();
