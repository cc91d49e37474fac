/* Facility Directory embed widget: one <script> tag renders a listing right after itself.
 *
 *   <script src="https://HOST/embed/widget.js" data-resource="calls" data-country="GB"
 *           data-lang="ja" async></script>
 *
 * data-resource: facilities | programmes | calls;  data-lang: en | ja;  data-limit: 1-50
 * (default 10);  data-theme: light | dark;  any other data-X is passed to the API as the
 * filter X (data-has-open-call -> has_open_call).  Rendered in a shadow root: the page's
 * CSS cannot reach it; style it with --fd-bg, --fd-fg, --fd-muted, --fd-accent,
 * --fd-border, --fd-focus, --fd-font, --fd-size, --fd-radius.  No dependencies, no cookies.
 * ES2017, no build step.
 */
(function () {
  "use strict";

  var RESOURCES = {
    facilities: "website,kind_label,status_label,country_name",
    programmes: "website,kind_label,status_label",
    calls: "website,call_url,programme,status,status_label,closes_at,deadline_timezone",
  };
  var RESERVED = ["resource", "lang", "limit", "theme", "fields", "format", "offset"];
  var TEXT = {
    en: {
      facilities: "Research facilities",
      programmes: "Programmes",
      calls: "Calls for proposals",
      loading: "Loading…",
      empty: "Nothing matches these filters.",
      error: "The directory could not be reached.",
      deadline: "Deadline: ",
      credit: "Data from Facility Directory",
    },
    ja: {
      facilities: "研究施設",
      programmes: "プログラム",
      calls: "公募",
      loading: "読み込み中…",
      empty: "条件に合う情報はありません。",
      error: "ディレクトリに接続できませんでした。",
      deadline: "締切：",
      credit: "データ提供：Facility Directory",
    },
  };

  // Inner variables take the page's --fd-* values if set anywhere above the widget.
  var CSS =
    ":host{all:initial;display:block;margin:8px 0}" +
    ".fd{--b:var(--fd-bg,#fff);--f:var(--fd-fg,#1b1d21);--m:var(--fd-muted,#4b5260);" +
    "--a:var(--fd-accent,#0a55c8);--l:var(--fd-border,#8a919e);--o:var(--fd-focus,#0a55c8);" +
    "--ok:#0d5f2a;--okb:#dff3e5;--up:#6e4200;--upb:#fdefd2;--cl:#454b57;--clb:#e6e8ec;" +
    "background:var(--b);color:var(--f);border:1px solid var(--l);" +
    "border-radius:var(--fd-radius,8px);padding:12px 16px;" +
    "font:400 var(--fd-size,15px)/1.5 var(--fd-font,system-ui,-apple-system,'Segoe UI'," +
    "'Hiragino Sans','Noto Sans JP',sans-serif);text-align:start}" +
    ".fd.dark{--b:var(--fd-bg,#15171a);--f:var(--fd-fg,#eceff3);--m:var(--fd-muted,#b7bfcb);" +
    "--a:var(--fd-accent,#8fb8ff);--l:var(--fd-border,#6f7784);--o:var(--fd-focus,#8fb8ff);" +
    "--ok:#93e0aa;--okb:#173524;--up:#f5cf72;--upb:#3a2d0f;--cl:#c9ced7;--clb:#2c3037}" +
    "h2{font-size:1.15em;margin:0 0 8px;color:var(--f)}" +
    "ul{list-style:none;margin:0;padding:0}" +
    "li{margin:0;padding:8px 0;border-top:1px solid var(--l);color:var(--f);font-size:1em}" +
    "li:first-child{border-top:0}" +
    "a{color:var(--a);text-decoration:underline;text-underline-offset:2px}" +
    "a:focus-visible{outline:3px solid var(--o);outline-offset:2px;border-radius:2px}" +
    ".meta,.note,.credit{color:var(--m);font-size:.875em}" +
    ".meta{display:block}" +
    ".st{display:inline-block;padding:0 6px;margin-inline-end:6px;border-radius:4px;" +
    "font-size:.8em;font-weight:600;color:var(--cl);background:var(--clb)}" +
    ".st.open{color:var(--ok);background:var(--okb)}" +
    ".st.upcoming{color:var(--up);background:var(--upb)}" +
    ".note{margin:8px 0}.credit{margin:8px 0 0}";

  // Every tag is rendered once, whichever copy of the script runs first sees it.
  var DONE = "__fdWidget";

  /** Make an element with (optional) class and text: text always goes in as textContent. */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  /** A link to a record's site: only http(s) URLs, opened with rel=noopener. */
  function link(href, text) {
    var a = el("a", "", text);
    if (/^https?:\/\//i.test(href || "")) a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }

  /** "31 Jan 2030, 12:00 GMT+9" in the funder's time zone. */
  function deadline(call, lang) {
    var when = new Date(call.closes_at);
    var options = {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
      timeZoneName: "short",
    };
    try {
      options.timeZone = call.deadline_timezone || "UTC";
      return when.toLocaleString(lang === "ja" ? "ja-JP" : "en-GB", options);
    } catch (e) {
      delete options.timeZone; // unknown zone here: the reader's own
      return when.toLocaleString(lang === "ja" ? "ja-JP" : "en-GB", options);
    }
  }

  /** The API parameters of one tag: the filters plus lang, limit and fields. */
  function settings(script) {
    var s = { resource: script.getAttribute("data-resource") || "facilities", filters: [] };
    s.lang = script.getAttribute("data-lang") === "ja" ? "ja" : "en";
    var limit = parseInt(script.getAttribute("data-limit"), 10);
    s.limit = Math.min(Math.max(isNaN(limit) ? 10 : limit, 1), 50);
    s.dark = script.getAttribute("data-theme") === "dark";
    Array.prototype.forEach.call(script.attributes, function (attr) {
      var name = attr.name.slice(5).replace(/-/g, "_");
      if (attr.name.indexOf("data-") === 0 && RESERVED.indexOf(name) < 0) {
        s.filters.push([name, attr.value]);
      }
    });
    return s;
  }

  function query(pairs) {
    return pairs.map(function (pair) {
      return encodeURIComponent(pair[0]) + "=" + encodeURIComponent(pair[1]);
    }).join("&");
  }

  function item(record, s) {
    var t = TEXT[s.lang];
    var li = el("li");
    var href = record.call_url || record.website || record.url;
    li.appendChild(link(href, record.display_name || record.name || record.slug));
    var meta = el("span", "meta");
    if (s.resource === "calls") {
      var status = el("span", "st " + (record.status || ""), record.status_label || record.status);
      meta.appendChild(status);
      var time = el("time", "", t.deadline + deadline(record, s.lang));
      time.dateTime = record.closes_at;
      meta.appendChild(time);
      if (record.programme && record.programme.display_name) {
        meta.appendChild(el("span", "", " · " + record.programme.display_name));
      }
    } else {
      var facts = [record.kind_label, record.country_name, record.status_label];
      meta.textContent = facts.filter(Boolean).join(" · ");
    }
    li.appendChild(meta);
    return li;
  }

  /** Render one widget after its script tag, then fill it from the API. */
  function render(script) {
    script[DONE] = true;
    var s = settings(script);
    var t = TEXT[s.lang];
    var origin = new URL(script.src, document.baseURI).origin;
    var host = el("fd-embed");
    var parent = script.parentNode === document.head ? document.body : script.parentNode;
    parent.insertBefore(host, parent === script.parentNode ? script.nextSibling : null);
    var root = host.attachShadow({ mode: "open" });
    var style = el("style", "", CSS);
    var box = el("div", s.dark ? "fd dark" : "fd");
    box.lang = s.lang;
    var title = RESOURCES[s.resource] ? t[s.resource] : "Facility Directory";
    box.appendChild(el("h2", "", title));
    var status = el("p", "note", t.loading);
    status.setAttribute("role", "status");
    box.appendChild(status);
    root.appendChild(style);
    root.appendChild(box);

    var listUrl = origin + "/api/v1/" + s.resource + "/?" + query(s.filters.concat([["lang", s.lang]]));
    var credit = el("p", "credit");
    credit.appendChild(link(listUrl, t.credit));
    box.appendChild(credit);

    if (!RESOURCES[s.resource]) {
      status.textContent = t.error;
      return Promise.resolve();
    }
    var fields = "slug,url,name,display_name," + RESOURCES[s.resource];
    var url = listUrl + "&" + query([["limit", s.limit], ["fields", fields]]);
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, 15000);
    return fetch(url, {
      mode: "cors",
      credentials: "omit",
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var list = el("ul");
        (data.results || []).forEach(function (record) {
          list.appendChild(item(record, s));
        });
        if (list.children.length) {
          box.replaceChild(list, status);
        } else {
          status.textContent = t.empty;
        }
      })
      .catch(function (error) {
        status.textContent = t.error;
        status.className = "note error";
        if (window.console) console.warn("Facility Directory widget:", url, String(error));
      })
      .then(function () { clearTimeout(timer); });
  }

  /** This script's own tag, plus every widget tag not rendered yet (async copies race). */
  var scripts = [];
  if (document.currentScript) scripts.push(document.currentScript);
  Array.prototype.forEach.call(document.querySelectorAll("script[src]"), function (script) {
    if (/\/embed\/widget\.js(\?|#|$)/.test(script.src) && scripts.indexOf(script) < 0) {
      scripts.push(script);
    }
  });
  scripts.forEach(function (script) {
    if (!script[DONE] && script.parentNode) render(script);
  });
})();
