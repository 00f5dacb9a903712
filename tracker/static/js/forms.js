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
      var options = Array.prototype.slice.call(select.options);
      var matches = options.filter(function (option) {
        return !wanted || option.text.toLowerCase().indexOf(wanted) !== -1;
      });
      // The first match is chosen, so that the filter box alone picks a currency.
      if (wanted && matches.length && matches.indexOf(select.options[select.selectedIndex]) === -1) {
        select.value = matches[0].value;
        select.dispatchEvent(new Event("change", {bubbles: true}));
      }
      options.forEach(function (option) {
        var shown = option.selected || matches.indexOf(option) !== -1;
        option.hidden = !shown;
        option.disabled = !shown;
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    });
  }

  // The slug follows the titles (the first one that makes a slug, as the server decides)
  // until the person types a slug of their own; emptied again, it follows once more.
  function followTitle(slug) {
    var sources = slug.getAttribute("data-slug-from").split(" ").map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean);
    var url = slug.getAttribute("data-slug-url");
    if (!sources.length || !url) { return; }
    var made = "";
    var pending = null;
    function following() { return slug.value === "" || slug.value === made; }
    function suggest() {
      var query = sources.map(function (source) {
        return "title=" + encodeURIComponent(source.value);
      }).join("&");
      fetch(url + (url.indexOf("?") === -1 ? "?" : "&") + query,
            {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && following()) {
            slug.value = answer.slug;
            made = answer.slug;
          }
        })
        .catch(function () { /* the server makes the slug on saving anyway */ });
    }
    sources.forEach(function (source) {
      source.addEventListener("input", function () {
        if (!following()) { return; }
        window.clearTimeout(pending);
        pending = window.setTimeout(suggest, 250);
      });
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
