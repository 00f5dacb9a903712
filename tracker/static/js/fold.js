// Folded sections (templates/_fold.html) are <details> elements and work without this
// script. It only opens the folds around the element the address's #fragment names, on
// load and when the fragment changes (a link to "#pledges", or to a field with an error),
// so that following such a link never lands on a closed section.
(function () {
  "use strict";
  function openAround(target) {
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) node.open = true;
    }
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
  document.addEventListener("click", function (event) {
    // A link to the fragment already in the address changes nothing: open it anyway.
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (link && link.getAttribute("href") === window.location.hash) openFragment();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openFragment);
  } else {
    openFragment();
  }
})();
