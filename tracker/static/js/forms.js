// Forms: the error summary takes the focus, its links focus their field, length counters
// follow the typing, currency lists can be searched, and a slug follows its title until the
// person edits it. Every form works without this file; it only makes them kinder.
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.focus();
    summary.scrollIntoView({block: "start"});
  }

  function linkSummaryToFields() {
    document.querySelectorAll("[data-focus-field]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("data-focus-field"));
        if (!target) { return; }
        event.preventDefault();
        target.scrollIntoView({block: "center"});
        target.focus();
      });
    });
  }

  function followLength(input) {
    var counter = document.getElementById(input.getAttribute("data-counter"));
    if (!counter) { return; }
    var limit = parseInt(counter.getAttribute("data-limit"), 10);
    var cut = false;
    function update() {
      var used = input.value.length;
      counter.textContent = used + " / " + limit + (cut ? " — " + counter.getAttribute("data-cut-message") : "");
      counter.classList.toggle("text-danger", used >= limit);
    }
    input.addEventListener("paste", function (event) {
      var pasted = (event.clipboardData || window.clipboardData).getData("text") || "";
      var kept = input.value.length - (input.selectionEnd - input.selectionStart);
      cut = kept + pasted.length > limit;
    });
    input.addEventListener("input", function (event) {
      if (event.inputType !== "insertFromPaste") { cut = false; }
      update();
    });
    update();
  }

  function filterCurrencies(filter) {
    var select = document.getElementById(filter.getAttribute("data-filter-for"));
    if (!select) { return; }
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var wanted = filter.value.trim().toLowerCase();
      var first = null;
      select.querySelectorAll("option").forEach(function (option) {
        var shown = !wanted || option.selected || option.text.toLowerCase().indexOf(wanted) !== -1;
        option.hidden = !shown;
        option.disabled = !shown && !option.selected;
        if (shown && !first && option.value && option.text.toLowerCase().indexOf(wanted) !== -1) {
          first = option;
        }
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      if (wanted && first) { select.value = first.value; select.dispatchEvent(new Event("change")); }
    });
  }

  function followTitle(slug) {
    var source = document.getElementById(slug.getAttribute("data-slug-from"));
    var url = slug.getAttribute("data-slug-url");
    if (!source || !url) { return; }
    var edited = slug.value !== "" && slug.value !== slug.getAttribute("data-slug-made");
    var pending = null;
    slug.addEventListener("input", function () { edited = slug.value !== ""; });
    source.addEventListener("input", function () {
      if (edited) { return; }
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        fetch(url + "?title=" + encodeURIComponent(source.value), {headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (made) {
            if (made && !edited) {
              slug.value = made.slug;
              slug.setAttribute("data-slug-made", made.slug);
            }
          })
          .catch(function () { /* the server makes it on save anyway */ });
      }, 250);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-counter]").forEach(followLength);
    document.querySelectorAll("[data-filter-for]").forEach(filterCurrencies);
    document.querySelectorAll("[data-slug-from]").forEach(followTitle);
    linkSummaryToFields();
    focusSummary();
  });
}());
