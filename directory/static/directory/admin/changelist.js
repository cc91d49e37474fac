// Change-list filters shown as a drop-down with a search box (directory/admin_filters.py):
// choosing an entry opens the list filtered by it; typing in the box narrows the entries
// (by any part of their text: "jap", "JP" or "日本"), and Enter opens the first one left.
"use strict";
(function () {
  function setUp(container) {
    const select = container.querySelector(".directory-choice-select");
    const search = container.querySelector(".directory-choice-search");
    if (!select || !search) return;
    const options = Array.from(select.options);

    function go(option) {
      window.location.search = option.value;  // the filter's query string, "?country…"
    }
    select.addEventListener("change", function () {
      go(select.options[select.selectedIndex]);
    });
    search.addEventListener("input", function () {
      const wanted = search.value.trim().toLowerCase();
      options.forEach(function (option, index) {
        // The first entry ("All") always stays.
        option.hidden = index > 0 && wanted !== "" && !option.text.toLowerCase().includes(wanted);
      });
    });
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      const first = options.find(function (option, index) { return index > 0 && !option.hidden; });
      if (first) go(first);
    });
    select.hidden = false;
    search.hidden = false;
  }

  function start() {
    document.querySelectorAll("[data-choice-filter]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
