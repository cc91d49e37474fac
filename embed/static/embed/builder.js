// The embed builder (/embed/): live preview, snippets and copy buttons.
// The page works without it (the form re-renders on the server); this only makes it live.
(function () {
  "use strict";
  var form = document.getElementById("builder");
  if (!form) return;
  var origin = form.getAttribute("data-origin");
  var titles = JSON.parse(form.getAttribute("data-titles"));
  var preview = document.getElementById("preview");
  var link = document.getElementById("embed-url");
  var iframeOut = document.getElementById("iframe-snippet");
  var scriptOut = document.getElementById("script-snippet");
  var status = document.getElementById("copy-status");
  var DEFAULT_THEME = "light";
  var DEFAULT_LIMIT = "10";
  var MAX_LIMIT = 50;
  var timer = null;

  function escapeAttr(value) {
    return String(value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#x27;");
  }

  function resource() {
    return form.elements.resource.value;
  }

  function syncFieldsets() {
    var chosen = resource();
    var sets = form.querySelectorAll("fieldset.filters");
    for (var i = 0; i < sets.length; i++) {
      var on = sets[i].getAttribute("data-resource") === chosen;
      sets[i].disabled = !on;
      sets[i].hidden = !on;
    }
  }

  function parameters() {
    var pairs = [];
    var set = form.querySelector('fieldset.filters[data-resource="' + resource() + '"]');
    var fields = set ? set.querySelectorAll("input, select") : [];
    for (var i = 0; i < fields.length; i++) {
      var value = fields[i].value.trim();
      if (value) pairs.push([fields[i].name, value]);
    }
    var lang = form.elements.lang.value;
    var theme = form.elements.theme.value;
    var limit = form.elements.limit.value.trim();
    if (lang) pairs.push(["lang", lang]);
    if (theme && theme !== DEFAULT_THEME) pairs.push(["theme", theme]);
    if (limit && limit !== DEFAULT_LIMIT) pairs.push(["limit", limit]);
    return pairs;
  }

  function frameHeight(limit) {
    var n = /^[0-9]+$/.test(limit) ? parseInt(limit, 10) : 0;
    if (n < 1 || n > MAX_LIMIT) n = 10;
    return Math.min(140 + 56 * n, 720);
  }

  function update(now) {
    var pairs = parameters();
    var query = new URLSearchParams(pairs).toString();
    var url = origin + "/embed/" + resource() + "/" + (query ? "?" + query : "");
    var lang = form.elements.lang.value || "en";
    var title = titles[lang][resource()] + " · Facility Directory";
    var height = frameHeight(form.elements.limit.value.trim());
    iframeOut.value =
      '<iframe src="' + escapeAttr(url) + '" title="' + escapeAttr(title) +
      '" width="100%" height="' + height + '" style="border:0" loading="lazy"></iframe>';
    var attributes = ' data-resource="' + escapeAttr(resource()) + '"';
    for (var i = 0; i < pairs.length; i++) {
      attributes += " data-" + pairs[i][0] + '="' + escapeAttr(pairs[i][1]) + '"';
    }
    scriptOut.value =
      '<script src="' + escapeAttr(origin) + '/embed/widget.js"' + attributes + " async></" +
      "script>";
    link.href = url;
    link.textContent = url;
    var state = new URLSearchParams([["resource", resource()]].concat(pairs)).toString();
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "?" + state);
    }
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (preview.getAttribute("src") !== url) preview.setAttribute("src", url);
      preview.height = String(height);
    }, now ? 0 : 350);
  }

  // The page's own words (its language), from the attributes the server wrote.
  function copy(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var selectHint = status.getAttribute("data-select-hint");
    var done = function () {
      status.textContent = button.getAttribute("data-copied");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done, function () {
        source.select();
        status.textContent = selectHint;
      });
    } else {
      source.focus();
      source.select();
      try {
        document.execCommand("copy");
        done();
      } catch (error) {
        status.textContent = selectHint;
      }
    }
  }

  form.addEventListener("change", function (event) {
    if (event.target === form.elements.resource) syncFieldsets();
    update(true);
  });
  form.addEventListener("input", function () {
    update(false);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update(true);
  });
  var buttons = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (event) {
      copy(event.currentTarget);
    });
  }
  syncFieldsets();
})();
