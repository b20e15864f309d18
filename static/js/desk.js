// Desk helpers: the bulk bar of the queue, saved filters, canned responses and the collision warning.
// Everything works without this file too (all inputs show, forms post as they are); it only makes it quicker.
(function () {
  "use strict";

  // Bulk bar: show only the inputs of the chosen action.
  function showBulkSection() {
    const action = document.getElementById("bulk_action");
    if (!action) return;
    document.querySelectorAll("[data-bulk-section]").forEach(function (section) {
      section.hidden = section.dataset.bulkSection !== action.value;
    });
  }

  function countSelected() {
    const counter = document.getElementById("bulk-count");
    if (counter) counter.textContent = document.querySelectorAll(".bulk-select:checked").length;
  }

  // Canned responses: fetch the text with this ticket's placeholders filled, and put it in the comment box.
  function insertCanned(select) {
    const url = select.value;
    const box = document.querySelector(select.dataset.target);
    if (!url || !box) return;
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        if (text === null) return;
        box.value = box.value.trim() ? box.value.replace(/\s*$/, "\n\n") + text : text;
        box.focus();
      });
    select.value = "";
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.id === "bulk_action") showBulkSection();
    if (target.id === "bulk-select-all") {
      document.querySelectorAll(".bulk-select").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches(".bulk-select, #bulk-select-all")) countSelected();
    if (target.id === "canned-response") insertCanned(target);
  });

  // htmx pushes the filtered queue's URL: forms that go back to it, or save it, take it as it is now.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches("[data-keep-location]")) return;
    const next = form.querySelector("input[name=next]");
    if (next) next.value = window.location.pathname + window.location.search;
    const query = form.querySelector("input[name=query]");
    if (query) query.value = window.location.search;
  });

  // Collision warning: focusing the comment or resolve form tells the others I am editing.
  document.addEventListener("focusin", function (event) {
    if (!event.target.closest("#comment-form, #resolve-form, [data-marks-editing]")) return;
    const flag = document.getElementById("presence-editing");
    if (!flag || flag.value === "1") return;
    flag.value = "1";
    if (window.htmx) window.htmx.trigger("#presence", "presence-now");
  });

  document.addEventListener("htmx:afterSwap", countSelected);
  showBulkSection();
  countSelected();
})();
