// Show-if for catalog order forms: a field's wrapper ([data-field-name]) with a data-show-if rule is shown only
// while the rule holds. The rules are those of requests_catalog.form_engine.visible_keys, which the server applies
// to the post whatever this script did: equals / in compare with the controlling input's submitted values (any
// ticked box of a multichoice), checked with whether its checkbox is ticked, and a field is hidden when its
// controlling field is. Without this script every field shows and the server still ignores the hidden ones.
(function () {
  "use strict";

  // The values the browser would post for an input name: ticked boxes only, every selected option.
  function valuesOf(form, name) {
    const values = [];
    form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (input) {
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) values.push(input.value);
      } else if (input.tagName === "SELECT") {
        Array.from(input.selectedOptions).forEach(function (option) {
          values.push(option.value);
        });
      } else {
        values.push(input.value);
      }
    });
    return values;
  }

  function holds(rule, values) {
    if ("checked" in rule) return (values.length > 0) === rule.checked;
    if ("equals" in rule) return values.indexOf(rule.equals) !== -1;
    return values.some(function (value) {
      return (rule.in || []).indexOf(value) !== -1;
    });
  }

  // Hidden inputs are disabled so the browser neither enforces their `required` nor posts them; only the inputs
  // disabled here are enabled again (some may be disabled by the server).
  function setShown(wrapper, shown) {
    wrapper.hidden = !shown;
    wrapper.querySelectorAll("input, select, textarea").forEach(function (input) {
      if (!shown && !input.disabled) {
        input.disabled = true;
        input.dataset.showIfDisabled = "1";
      } else if (shown && input.dataset.showIfDisabled) {
        input.disabled = false;
        delete input.dataset.showIfDisabled;
      }
    });
  }

  // Wrappers are in definition order and rules only point at earlier fields, so one pass settles everything.
  function refresh(form) {
    const hidden = {};
    form.querySelectorAll("[data-field-name]").forEach(function (wrapper) {
      const rule = wrapper.dataset.showIf ? JSON.parse(wrapper.dataset.showIf) : null;
      const shown = !rule || (!hidden[rule.name] && holds(rule, valuesOf(form, rule.name)));
      hidden[wrapper.dataset.fieldName] = !shown;
      setShown(wrapper, shown);
    });
  }

  function refreshAll() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-show-if]")) refresh(form);
    });
  }

  function onEdit(event) {
    const form = event.target.form || event.target.closest("form");
    if (form && form.querySelector("[data-show-if]")) refresh(form);
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("DOMContentLoaded", refreshAll);
  document.addEventListener("htmx:afterSwap", refreshAll);
  if (document.readyState !== "loading") refreshAll();
})();
