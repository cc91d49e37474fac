// Aliases and sources edited as rows (directory/admin_rows.py): "Add" appends an empty row,
// "Remove" takes one away. Without this script the page still works: it always shows one
// empty row to fill in, and a row emptied is dropped when the record is saved.
"use strict";
(function () {
  function renumber(list) {
    Array.from(list.children).forEach(function (row, index) {
      const number = row.querySelector(".directory-row-number");
      if (number) number.textContent = String(index + 1);
      row.querySelectorAll("[id]").forEach(function (element) {
        element.id = element.id.replace(/_\d+_([a-z]+)$/, "_" + index + "_$1");
      });
      row.querySelectorAll("label[for]").forEach(function (label) {
        label.htmlFor = label.htmlFor.replace(/_\d+_([a-z]+)$/, "_" + index + "_$1");
      });
    });
  }

  function clear(row) {
    row.querySelectorAll("input, textarea, select").forEach(function (field) { field.value = ""; });
  }

  function setUp(container) {
    const list = container.querySelector(".directory-rows-list");
    const add = container.querySelector(".directory-row-add");
    if (!list || !add || !list.lastElementChild) return;
    const blank = list.lastElementChild.cloneNode(true);
    clear(blank);

    container.addEventListener("click", function (event) {
      const remove = event.target.closest(".directory-row-remove");
      if (!remove || !container.contains(remove)) return;
      const row = remove.closest(".directory-row");
      if (list.children.length > 1) {
        row.remove();
      } else {
        clear(row);
      }
      renumber(list);
    });
    add.addEventListener("click", function () {
      const row = blank.cloneNode(true);
      list.appendChild(row);
      renumber(list);
      const first = row.querySelector("select, input, textarea");
      if (first) first.focus();
    });
    container.querySelectorAll("[hidden].directory-row-add, [hidden].directory-row-remove")
      .forEach(function (button) { button.hidden = false; });
  }

  function start() {
    document.querySelectorAll(".directory-rows").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
