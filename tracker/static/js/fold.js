// Folded sections (templates/_fold.html) are <details> elements and work without this
// script. It only opens the folds around the element the address's #fragment names, on
// load and when the fragment changes (a link to "#pledges", or to a field with an error),
// so that following such a link never lands on a closed section; and the folds whose
// fields a script filled (a draft the proposal editor restores), so that it is in sight.
(function () {
  "use strict";
  function openAround(target) {
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) node.open = true;
    }
  }
  function openChanged() {
    var fields = document.querySelectorAll("details:not([open]) textarea");
    Array.prototype.forEach.call(fields, function (field) {
      if (field.value !== field.defaultValue) openAround(field);
    });
  }
  function openFragment() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target) {
      openAround(target);
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openFragment);
  // Nobody types into a closed fold: text put into a field there (a draft the proposal
  // editor restores) opens it, so that what changed is in sight.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!event.isTrusted && field.closest && field.closest("details:not([open])") &&
        field.value !== field.defaultValue) {
      openAround(field);
    }
  });
  document.addEventListener("click", function (event) {
    // A link to the fragment already in the address changes nothing: open it anyway.
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (link && link.getAttribute("href") === window.location.hash) openFragment();
  });
  function start() {
    openChanged();  // a draft restored before this script ran
    openFragment();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
